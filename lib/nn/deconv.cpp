#include "nn/deconv.hpp"

#include <cmath>

#include "nn/relu.hpp"

namespace vaednn::detail {

using dnnl::prop_kind;
using deconv_fwd = dnnl::deconvolution_forward;
using deconv_bwd_data = dnnl::deconvolution_backward_data;
using deconv_bwd_weights = dnnl::deconvolution_backward_weights;

Deconv::Deconv(std::string name, std::string torch_name, DeconvShape shape, bool relu,
               bool plain_activations)
    : name_(std::move(name)),
      torch_name_(std::move(torch_name)),
      shape_(shape),
      relu_(relu),
      plain_activations_(plain_activations) {}

memory::desc Deconv::activation_desc(const Dims& dims) const {
    return plain_activations_ ? plain_desc(dims, Tag::nchw) : any_desc(dims);
}

Dims Deconv::src_dims(memory::dim batch) const {
    return {batch, shape_.in_channels, shape_.in_side, shape_.in_side};
}

Dims Deconv::dst_dims(memory::dim batch) const {
    return {batch, shape_.out_channels, shape_.out_side(), shape_.out_side()};
}

Dims Deconv::strides() const {
    return {shape_.stride, shape_.stride};
}
Dims Deconv::padding_l() const {
    return {shape_.padding, shape_.padding};
}
// PyTorch's output_padding adds rows and columns at the end: less padding on oneDNN's right.
Dims Deconv::padding_r() const {
    return {shape_.padding - shape_.output_padding, shape_.padding - shape_.output_padding};
}

deconv_fwd::desc Deconv::forward_desc(const memory::desc& src, const memory::desc& dst,
                                      const memory::desc& weights) const {
    return deconv_fwd::desc(prop_kind::forward_training, dnnl::algorithm::deconvolution_direct,
                            src,         // src {N, in, s, s}
                            weights,     // weights {out, in, k, k}
                            bias_desc_,  // bias {out}
                            dst,         // dst {N, out, s', s'}
                            strides(), padding_l(), padding_r());
}

void Deconv::declare(ParamArena& params, const dnnl::engine& engine, int reference_batch) {
    const int k = shape_.kernel;
    const Dims weight_dims = {shape_.out_channels, shape_.in_channels, k, k};
    bias_desc_ = plain_desc({shape_.out_channels}, Tag::x);
    const deconv_fwd::primitive_desc pd(
        forward_desc(activation_desc(src_dims(reference_batch)),
                     activation_desc(dst_dims(reference_batch)), any_desc(weight_dims)),
        GraphBuilder::attributes(), engine);
    weight_desc_ = pd.weights_desc();

    // PyTorch's ConvTranspose2d init computes fan_in from weight.size(1) = out_channels.
    const float bound = 1.0f / std::sqrt(static_cast<float>(shape_.out_channels * k * k));
    weight_id_ =
        params.declare(torch_name_ + ".weight", {shape_.in_channels, shape_.out_channels, k, k},
                       plain_desc(weight_dims, Tag::iohw), weight_desc_, bound);
    bias_id_ =
        params.declare(torch_name_ + ".bias", {shape_.out_channels}, bias_desc_, bias_desc_, bound);
}

void Deconv::bind(const ParamArena& params) {
    weight_ = params.weight(weight_id_);
    bias_ = params.weight(bias_id_);
    weight_grad_ = params.grad(weight_id_);
    bias_grad_ = params.grad(bias_id_);
}

Deconv::Tape Deconv::forward(GraphBuilder& builder, const memory& src) const {
    const auto batch = dim_of(src, 0);
    // No fused ReLU: in oneDNN 2.6 a ReLU post-op makes the strided deconvolution forward 6-7x
    // slower (52.9 vs 9.2 ms for deconv2 at batch 128, 2 threads); a separate in-place eltwise
    // costs ~1 ms.
    Tape tape{
        {},
        {},
        deconv_fwd::primitive_desc(forward_desc(activation_desc(src_dims(batch)),
                                                activation_desc(dst_dims(batch)), weight_desc_),
                                   GraphBuilder::attributes(), builder.engine())};
    tape.src = builder.to_layout(name_ + ".reorder_src", Phase::forward, src, tape.pd.src_desc());
    tape.dst = builder.make(tape.pd.dst_desc());
    builder.add(name_ + ".forward", Phase::forward, tape.pd,
                {{DNNL_ARG_SRC, tape.src},
                 {DNNL_ARG_WEIGHTS, weight_},
                 {DNNL_ARG_BIAS, bias_},
                 {DNNL_ARG_DST, tape.dst}});
    if (relu_) {
        const dnnl::eltwise_forward::primitive_desc relu_pd(
            {prop_kind::forward_training, dnnl::algorithm::eltwise_relu_use_dst_for_bwd,
             tape.dst.get_desc(), 0.0f},
            GraphBuilder::attributes(), builder.engine());
        builder.add(name_ + ".relu", Phase::forward, relu_pd,
                    {{DNNL_ARG_SRC, tape.dst}, {DNNL_ARG_DST, tape.dst}});
    }
    return tape;
}

memory Deconv::backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                        bool want_diff_src) const {
    const dnnl::engine& engine = builder.engine();
    memory diff_out = builder.to_layout(name_ + ".reorder_diff_dst", Phase::backward, diff_dst,
                                        tape.dst.get_desc());
    if (relu_) diff_out = relu_backward_from_output(builder, name_, tape.dst, diff_out);

    const auto batch = dim_of(tape.src, 0);
    const Dims weight_dims = {shape_.out_channels, shape_.in_channels, shape_.kernel,
                              shape_.kernel};
    const auto alg = dnnl::algorithm::deconvolution_direct;

    // Backward primitives choose their own layouts (pinning them to the forward's can leave only
    // the reference implementation); tensors are reordered where the choices differ.
    const deconv_bwd_weights::primitive_desc weights_pd(
        deconv_bwd_weights::desc(alg, any_desc(src_dims(batch)),  // src
                                 any_desc(weight_dims),           // diff_weights
                                 bias_desc_,                      // diff_bias
                                 any_desc(dst_dims(batch)),       // diff_dst
                                 strides(), padding_l(), padding_r()),
        GraphBuilder::attributes(), engine, tape.pd);
    const memory src_for_weights = builder.to_layout(name_ + ".reorder_src_bwd", Phase::backward,
                                                     tape.src, weights_pd.src_desc());
    const memory diff_out_for_weights = builder.to_layout(
        name_ + ".reorder_diff_dst_bwd_w", Phase::backward, diff_out, weights_pd.diff_dst_desc());
    const memory diff_weights = builder.output_for(weight_grad_, weights_pd.diff_weights_desc());
    builder.add(name_ + ".backward_weights", Phase::backward, weights_pd,
                {{DNNL_ARG_SRC, src_for_weights},
                 {DNNL_ARG_DIFF_DST, diff_out_for_weights},
                 {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                 {DNNL_ARG_DIFF_BIAS, bias_grad_}});
    builder.store(name_ + ".reorder_diff_weights", Phase::backward, diff_weights, weight_grad_);

    if (!want_diff_src) return {};
    const deconv_bwd_data::primitive_desc data_pd(
        deconv_bwd_data::desc(alg, any_desc(src_dims(batch)),  // diff_src
                              any_desc(weight_dims),           // weights
                              any_desc(dst_dims(batch)),       // diff_dst
                              strides(), padding_l(), padding_r()),
        GraphBuilder::attributes(), engine, tape.pd);
    const memory weights = builder.to_layout(name_ + ".reorder_weights_bwd_d", Phase::backward,
                                             weight_, data_pd.weights_desc());
    const memory diff_out_for_data = builder.to_layout(
        name_ + ".reorder_diff_dst_bwd_d", Phase::backward, diff_out, data_pd.diff_dst_desc());
    memory diff_src = builder.make(data_pd.diff_src_desc());
    builder.add(name_ + ".backward_data", Phase::backward, data_pd,
                {{DNNL_ARG_DIFF_DST, diff_out_for_data},
                 {DNNL_ARG_WEIGHTS, weights},
                 {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
}

}  // namespace vaednn::detail
