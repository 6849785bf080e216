#include "nn/deconv.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/relu.hpp"

namespace vaednn::detail {

using dnnl::prop_kind;
using deconv_fwd = dnnl::deconvolution_forward;
using deconv_bwd_data = dnnl::deconvolution_backward_data;
using deconv_bwd_weights = dnnl::deconvolution_backward_weights;

const char* deconv_forward_name(DeconvForward algorithm) {
    switch (algorithm) {
        case DeconvForward::direct_any:
            return "direct_any";
        case DeconvForward::direct_plain:
            return "direct_plain";
        case DeconvForward::subpixel:
            return "subpixel";
    }
    return "?";
}

namespace {

bool has_avx512_core() {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto avx512_core = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & avx512_core) == avx512_core;
}

}  // namespace

DeconvForward choose_deconv_forward(const DeconvShape& shape) {
    // Forward times at batch 128, 2 threads, AVX-512 (docs/PERFORMANCE.md): the default deconv2
    // (64->32, stride 2) takes 9.2 ms direct and ~4.5 ms sub-pixel; deconv1 (32->64) 3.4 vs ~1.2;
    // deconv3 (32->1, stride 1) 0.7 ms plain, 5.9 ms in oneDNN's blocked choice, ~4 ms as a
    // blocked convolution (the one output channel is padded to 16 either way).
    if (shape.out_channels == 1) return DeconvForward::direct_plain;
    if (shape.stride > 1 && Deconv::subpixel_possible(shape)) return DeconvForward::subpixel;
    return DeconvForward::direct_any;
}

std::vector<Deconv::Residue> Deconv::residues(const DeconvShape& shape) {
    const int s = shape.stride, k = shape.kernel, p = shape.padding;
    const int phase_side = shape.out_side() / s;
    std::vector<Residue> out;
    for (int r = 0; r < s; ++r) {
        // y = s * iy - p + ky  with  y = s * m + r:  ky = (r + p) mod s (+ s j), iy = m + c - j.
        const int first_tap = (r + p) % s;
        const int taps = first_tap < k ? (k - first_tap + s - 1) / s : 0;
        const int c = (r + p - first_tap) / s;
        const int pad_l = taps - 1 - c;
        // A stride-1 convolution's output side is in + pad_l + pad_r - taps + 1.
        const int pad_r = phase_side - shape.in_side - pad_l + taps - 1;
        out.push_back({first_tap, taps, pad_l, pad_r});
    }
    return out;
}

bool Deconv::subpixel_possible(const DeconvShape& shape) {
    if (shape.stride < 1 || shape.out_side() <= 0 || shape.out_side() % shape.stride != 0) {
        return false;
    }
    for (const Residue& r : residues(shape)) {
        if (r.taps < 1 || r.pad_l < 0 || r.pad_r < 0) return false;
    }
    return true;
}

Deconv::Deconv(std::string name, std::string torch_name, DeconvShape shape, bool relu,
               DeconvForward algorithm)
    : name_(std::move(name)),
      torch_name_(std::move(torch_name)),
      shape_(shape),
      relu_(relu),
      algorithm_(algorithm) {
    if (algorithm_ == DeconvForward::subpixel && !subpixel_possible(shape_)) {
        throw std::invalid_argument(name_ + ": the sub-pixel decomposition does not fit its shape");
    }
}

memory::desc Deconv::activation_desc(const Dims& dims) const {
    return algorithm_ == DeconvForward::direct_plain ? plain_desc(dims, Tag::nchw) : any_desc(dims);
}

Dims Deconv::src_dims(memory::dim batch) const {
    return {batch, shape_.in_channels, shape_.in_side, shape_.in_side};
}

Dims Deconv::dst_dims(memory::dim batch) const {
    return {batch, shape_.out_channels, shape_.out_side(), shape_.out_side()};
}

Dims Deconv::weight_dims() const {
    return {shape_.out_channels, shape_.in_channels, shape_.kernel, shape_.kernel};
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
                                      const memory::desc& weights, Pass pass) const {
    return deconv_fwd::desc(forward_kind(pass), dnnl::algorithm::deconvolution_direct,
                            src,         // src {N, in, s, s}
                            weights,     // weights {out, in, k, k}
                            bias_desc_,  // bias {out}
                            dst,         // dst {N, out, s', s'}
                            strides(), padding_l(), padding_r());
}

void Deconv::declare(ParamArena& params, const dnnl::engine& engine, int reference_batch) {
    const int k = shape_.kernel;
    const memory::desc torch_layout = plain_desc(weight_dims(), Tag::iohw);
    bias_desc_ = plain_desc({shape_.out_channels}, Tag::x);
    if (algorithm_ == DeconvForward::subpixel) {
        weight_desc_ = torch_layout;
    } else {
        const deconv_fwd::primitive_desc pd(forward_desc(activation_desc(src_dims(reference_batch)),
                                                         activation_desc(dst_dims(reference_batch)),
                                                         any_desc(weight_dims()), Pass::training),
                                            GraphBuilder::attributes(), engine);
        weight_desc_ = pd.weights_desc();
    }

    // PyTorch's ConvTranspose2d init computes fan_in from weight.size(1) = out_channels.
    const float bound = 1.0f / std::sqrt(static_cast<float>(shape_.out_channels * k * k));
    weight_id_ =
        params.declare(torch_name_ + ".weight", {shape_.in_channels, shape_.out_channels, k, k},
                       torch_layout, weight_desc_, bound);
    bias_id_ =
        params.declare(torch_name_ + ".bias", {shape_.out_channels}, bias_desc_, bias_desc_, bound);
}

void Deconv::bind(const ParamArena& params, const dnnl::engine& /*engine*/) {
    weight_ = params.weight(weight_id_);
    bias_ = params.weight(bias_id_);
    weight_grad_ = params.grad(weight_id_);
    bias_grad_ = params.grad(bias_id_);
}

Deconv::Tape Deconv::forward(GraphBuilder& builder, const memory& src, Pass pass) const {
    return algorithm_ == DeconvForward::subpixel ? forward_subpixel(builder, src, pass)
                                                 : forward_direct(builder, src, pass);
}

Deconv::Tape Deconv::forward_direct(GraphBuilder& builder, const memory& src, Pass pass) const {
    const auto batch = dim_of(src, 0);
    // No fused ReLU: in oneDNN 2.6 a ReLU post-op makes the strided deconvolution forward 6-7x
    // slower (52.9 vs 9.2 ms for deconv2 at batch 128, 2 threads); a separate in-place eltwise
    // costs ~0.3 ms.
    Tape tape{src,
              {},
              {},
              deconv_fwd::primitive_desc(
                  forward_desc(activation_desc(src_dims(batch)), activation_desc(dst_dims(batch)),
                               weight_desc_, pass),
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
            {forward_kind(pass), dnnl::algorithm::eltwise_relu_use_dst_for_bwd, tape.dst.get_desc(),
             0.0f},
            GraphBuilder::attributes(), builder.engine());
        builder.add(name_ + ".relu", Phase::forward, relu_pd,
                    {{DNNL_ARG_SRC, tape.dst}, {DNNL_ARG_DST, tape.dst}});
    }
    return tape;
}

Deconv::Tape Deconv::forward_subpixel(GraphBuilder& builder, const memory& src, Pass pass) const {
    const auto batch = dim_of(src, 0);
    const int stride = shape_.stride, in = shape_.in_channels, out = shape_.out_channels;
    const memory::dim phase_side = shape_.out_side() / stride;
    const std::vector<Residue> axis = residues(shape_);
    const dnnl::primitive_attr attr =
        relu_ ? GraphBuilder::attributes_with_relu() : GraphBuilder::attributes();

    // One convolution per residue pair (ry, rx). The first picks the activation layouts; the
    // others are pinned to them, so all read one input and fill one temporary output.
    struct ResidueConv {
        int ry, rx;
        dnnl::convolution_forward::primitive_desc pd;
        memory plain_weights;  // {out, in, taps_y, taps_x} oihw, gathered every step
    };
    std::vector<ResidueConv> convs;
    memory::desc src_desc = any_desc(src_dims(batch));
    memory::desc phase_desc = any_desc({batch, out, phase_side, phase_side});
    for (int ry = 0; ry < stride; ++ry) {
        for (int rx = 0; rx < stride; ++rx) {
            const Residue &y = axis[static_cast<std::size_t>(ry)],
                          &x = axis[static_cast<std::size_t>(rx)];
            const dnnl::convolution_forward::primitive_desc pd(
                {forward_kind(pass),
                 dnnl::algorithm::convolution_direct,
                 src_desc,                             // {N, in, s, s}
                 any_desc({out, in, y.taps, x.taps}),  // sub-kernel, flipped
                 bias_desc_,                           // {out}
                 phase_desc,                           // {N, out, s'/stride, s'/stride}
                 {1, 1},
                 {y.pad_l, x.pad_l},
                 {y.pad_r, x.pad_r}},
                attr, builder.engine());
            src_desc = pd.src_desc();
            phase_desc = pd.dst_desc();
            convs.push_back(
                {ry, rx, pd, builder.make(plain_desc({out, in, y.taps, x.taps}, Tag::oihw))});
        }
    }

    const memory::desc dst_desc = spatially_scaled_desc(phase_desc, stride);
    Tape tape{
        src, builder.to_layout(name_ + ".reorder_src", Phase::forward, src, src_desc),
        builder.make(dst_desc),
        deconv_fwd::primitive_desc(forward_desc(src_desc, dst_desc, any_desc(weight_dims()), pass),
                                   GraphBuilder::attributes(), builder.engine())};

    // Each step, every convolution's sub-kernel from the weight in PyTorch's [in, out, k, k]:
    // K[o][i][t][u] = W[i][o][ky(t)][kx(u)]. A gather with a flip, which no reorder expresses.
    // The sub-kernels are planned tensors: their addresses are read when the kernel runs.
    struct Gather {
        const float* weight;
        memory kernel;
        Residue y, x;
    };
    std::vector<Gather> gathers;
    for (const ResidueConv& conv : convs) {
        gathers.push_back({static_cast<const float*>(weight_.get_data_handle()), conv.plain_weights,
                           axis[static_cast<std::size_t>(conv.ry)],
                           axis[static_cast<std::size_t>(conv.rx)]});
    }
    std::vector<memory> kernels;
    for (const ResidueConv& conv : convs) kernels.push_back(conv.plain_weights);
    builder.add_kernel(name_ + ".subpixel_weights", Phase::forward, kernels,
                       [gathers, in, out, stride, k = shape_.kernel] {
                           for (const Gather& g : gathers) {
                               float* to = static_cast<float*>(g.kernel.get_data_handle());
                               for (int o = 0; o < out; ++o)
                                   for (int i = 0; i < in; ++i)
                                       for (int t = 0; t < g.y.taps; ++t)
                                           for (int u = 0; u < g.x.taps; ++u) {
                                               const int ky = g.y.kernel_index(t, stride);
                                               const int kx = g.x.kernel_index(u, stride);
                                               *to++ = g.weight[((i * out + o) * k + ky) * k + kx];
                                           }
                           }
                       });

    // The residues run one after another through one temporary output, each then copied into
    // its interleaved pixels of dst.
    const memory phase_dst = builder.make(phase_desc);
    for (const ResidueConv& conv : convs) {
        const std::string residue = std::to_string(conv.ry) + std::to_string(conv.rx);
        const memory weights =
            builder.to_layout(name_ + ".subpixel_weights_reorder_" + residue, Phase::forward,
                              conv.plain_weights, conv.pd.weights_desc());
        builder.add(name_ + ".forward_" + residue, Phase::forward, conv.pd,
                    {{DNNL_ARG_SRC, tape.src},
                     {DNNL_ARG_WEIGHTS, weights},
                     {DNNL_ARG_BIAS, bias_},
                     {DNNL_ARG_DST, phase_dst}});
        std::size_t byte_offset = 0;
        const memory::desc view =
            spatial_residue_view(dst_desc, stride, conv.ry, conv.rx, byte_offset);
        builder.reorder(name_ + ".interleave_" + residue, Phase::forward, phase_dst,
                        builder.view(tape.dst, view, byte_offset));
    }
    return tape;
}

memory Deconv::backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                        const InputGradient& input_gradient) const {
    const dnnl::engine& engine = builder.engine();
    memory diff_out = builder.to_layout(name_ + ".reorder_diff_dst", Phase::backward, diff_dst,
                                        tape.dst.get_desc());
    if (relu_) diff_out = relu_backward_from_output(builder, name_, tape.dst, diff_out);

    const auto batch = dim_of(tape.src, 0);
    const auto alg = dnnl::algorithm::deconvolution_direct;

    // Backward primitives choose their own layouts (pinning them to the forward's can leave only
    // the reference implementation); tensors are reordered where the choices differ. But for one
    // output channel without AVX-512, oneDNN 2.6 picks a blocked AVX2 weight-gradient kernel
    // that runs at ~7 GFLOP/s (deconv3 at batch 128: 8.6 ms), where channels-last input and
    // gradient run its AVX2 kernel in 1.8 ms (docs/PERFORMANCE.md; a plain gradient beside
    // them leaves only the reference kernel); with AVX-512 the blocked kernel is the fast one
    // (0.35 ms on Zen 4).
    const bool channels_last_weights = shape_.out_channels == 1 && !has_avx512_core();
    const deconv_bwd_weights::primitive_desc weights_pd(
        deconv_bwd_weights::desc(alg,
                                 channels_last_weights ? plain_desc(src_dims(batch), Tag::nhwc)
                                                       : any_desc(src_dims(batch)),  // src
                                 any_desc(weight_dims()),                            // diff_weights
                                 bias_desc_,                                         // diff_bias
                                 channels_last_weights ? plain_desc(dst_dims(batch), Tag::nhwc)
                                                       : any_desc(dst_dims(batch)),  // diff_dst
                                 strides(), padding_l(), padding_r()),
        GraphBuilder::attributes(), engine, tape.pd);
    // The input as the caller gave it may already be in this primitive's layout (deconv3's
    // blocked input, which its plain forward reordered), and reorders to channels-last faster
    // from there than from the forward's plain copy (0.9 ms at batch 128).
    const memory& src_seen = channels_last_weights || tape.input.get_desc() == weights_pd.src_desc()
                                 ? tape.input
                                 : tape.src;
    const memory src_for_weights = builder.to_layout(name_ + ".reorder_src_bwd", Phase::backward,
                                                     src_seen, weights_pd.src_desc());
    // With one channel, channels-last and plain are the same bytes: the gradient is only viewed.
    const memory diff_out_for_weights =
        channels_last_weights && diff_out.get_desc() == plain_desc(dst_dims(batch), Tag::nchw)
            ? builder.view(diff_out, weights_pd.diff_dst_desc())
            : builder.to_layout(name_ + ".reorder_diff_dst_bwd_w", Phase::backward, diff_out,
                                weights_pd.diff_dst_desc());
    const memory diff_weights = builder.output_for(weight_grad_, weights_pd.diff_weights_desc());
    builder.add(name_ + ".backward_weights", Phase::backward, weights_pd,
                {{DNNL_ARG_SRC, src_for_weights},
                 {DNNL_ARG_DIFF_DST, diff_out_for_weights},
                 {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                 {DNNL_ARG_DIFF_BIAS, bias_grad_}});
    builder.store(name_ + ".reorder_diff_weights", Phase::backward, diff_weights, weight_grad_);

    if (!input_gradient.wanted) return {};
    const deconv_bwd_data::primitive_desc data_pd(
        deconv_bwd_data::desc(alg, any_desc(src_dims(batch)),  // diff_src
                              any_desc(weight_dims()),         // weights
                              any_desc(dst_dims(batch)),       // diff_dst
                              strides(), padding_l(), padding_r()),
        GraphBuilder::attributes(), engine, tape.pd);
    const memory weights = builder.to_layout(name_ + ".reorder_weights_bwd_d", Phase::backward,
                                             weight_, data_pd.weights_desc());
    const memory diff_out_for_data = builder.to_layout(
        name_ + ".reorder_diff_dst_bwd_d", Phase::backward, diff_out, data_pd.diff_dst_desc());
    const memory diff_src = input_gradient.into
                                ? builder.output_for(input_gradient.into, data_pd.diff_src_desc())
                                : builder.make(data_pd.diff_src_desc());
    builder.add(name_ + ".backward_data", Phase::backward, data_pd,
                {{DNNL_ARG_DIFF_DST, diff_out_for_data},
                 {DNNL_ARG_WEIGHTS, weights},
                 {DNNL_ARG_DIFF_SRC, diff_src}});
    if (!input_gradient.into) return diff_src;
    builder.store(name_ + ".reorder_diff_src", Phase::backward, diff_src, input_gradient.into);
    return input_gradient.into;
}

}  // namespace vaednn::detail
