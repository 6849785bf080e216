#include "nn/dense.hpp"

#include <cmath>

#include "nn/relu.hpp"

namespace vaednn::detail {

using dnnl::prop_kind;
using ip_fwd = dnnl::inner_product_forward;
using ip_bwd_data = dnnl::inner_product_backward_data;
using ip_bwd_weights = dnnl::inner_product_backward_weights;

Dense::Dense(std::string name, std::vector<std::string> parts, int in, int out, bool relu)
    : name_(std::move(name)), parts_(std::move(parts)), in_(in), out_(out), relu_(relu) {}

void Dense::declare(ParamArena& params, const dnnl::engine& engine, int reference_batch) {
    const auto parts = static_cast<int>(parts_.size());
    const int part_out = out_ / parts;
    // PyTorch's nn.Linear default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias alike.
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
    bias_desc_ = plain_desc({out_}, Tag::x);

    if (parts == 1) {
        const ip_fwd::desc desc(prop_kind::forward_training, any_desc({reference_batch, in_}),
                                any_desc({out_, in_}), bias_desc_,
                                any_desc({reference_batch, out_}));
        weight_desc_ =
            ip_fwd::primitive_desc(desc, GraphBuilder::attributes(), engine).weights_desc();
    } else {
        weight_desc_ = plain_desc({out_, in_}, Tag::ab);
    }

    for (int p = 0; p < parts; ++p) {
        const bool last = p + 1 == parts;
        const auto& part = parts_[static_cast<std::size_t>(p)];
        const auto part_weight = plain_desc({part_out, in_}, Tag::ab);
        const ParamArena::Id w =
            params.declare(part + ".weight", {part_out, in_}, part_weight,
                           parts == 1 ? weight_desc_ : part_weight, bound, last);
        if (p == 0) weight_id_ = w;
    }
    for (int p = 0; p < parts; ++p) {
        const bool last = p + 1 == parts;
        const auto part_bias = plain_desc({part_out}, Tag::x);
        const ParamArena::Id b = params.declare(parts_[static_cast<std::size_t>(p)] + ".bias",
                                                {part_out}, part_bias, part_bias, bound, last);
        if (p == 0) bias_id_ = b;
    }
}

void Dense::bind(const ParamArena& params, const dnnl::engine& engine) {
    // Views over the arena that span every part.
    auto span_parts = [&](const memory& first_part, const memory::desc& whole) {
        return memory(whole, engine, first_part.get_data_handle());
    };
    weight_ = span_parts(params.weight(weight_id_), weight_desc_);
    bias_ = span_parts(params.weight(bias_id_), bias_desc_);
    weight_grad_ = span_parts(params.grad(weight_id_), weight_desc_);
    bias_grad_ = span_parts(params.grad(bias_id_), bias_desc_);
}

Dense::Tape Dense::forward(GraphBuilder& builder, const memory& src, Pass pass) const {
    const auto batch = src.get_desc().dims()[0];
    const ip_fwd::desc desc(forward_kind(pass), any_desc({batch, in_}),  // src
                            weight_desc_,                                // weights
                            bias_desc_,                                  // bias
                            any_desc({batch, out_}));                    // dst
    const auto attr = relu_ ? GraphBuilder::attributes_with_relu() : GraphBuilder::attributes();
    Tape tape{{}, {}, ip_fwd::primitive_desc(desc, attr, builder.engine())};
    tape.src = builder.to_layout(name_ + ".reorder_src", Phase::forward, src, tape.pd.src_desc());
    tape.dst = builder.make(tape.pd.dst_desc());
    builder.add(name_ + ".forward", Phase::forward, tape.pd,
                {{DNNL_ARG_SRC, tape.src},
                 {DNNL_ARG_WEIGHTS, weight_},
                 {DNNL_ARG_BIAS, bias_},
                 {DNNL_ARG_DST, tape.dst}});
    return tape;
}

memory Dense::backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                       const InputGradient& input_gradient) const {
    memory diff_out = builder.to_layout(name_ + ".reorder_diff_dst", Phase::backward, diff_dst,
                                        tape.dst.get_desc());
    if (relu_) diff_out = relu_backward_from_output(builder, name_, tape.dst, diff_out);

    const ip_bwd_weights::desc weights_desc(tape.src.get_desc(),   // src
                                            weight_desc_,          // diff_weights
                                            bias_desc_,            // diff_bias
                                            diff_out.get_desc());  // diff_dst
    const ip_bwd_weights::primitive_desc weights_pd(weights_desc, GraphBuilder::attributes(),
                                                    builder.engine(), tape.pd);
    builder.add(name_ + ".backward_weights", Phase::backward, weights_pd,
                {{DNNL_ARG_SRC, tape.src},
                 {DNNL_ARG_DIFF_DST, diff_out},
                 {DNNL_ARG_DIFF_WEIGHTS, weight_grad_},
                 {DNNL_ARG_DIFF_BIAS, bias_grad_}});

    if (!input_gradient.wanted) return {};
    // Into the caller's tensor in its layout, which an inner product can write directly.
    const memory::desc wanted =
        input_gradient.into ? input_gradient.into.get_desc() : any_desc({dim_of(tape.src, 0), in_});
    const ip_bwd_data::desc data_desc(wanted,                // diff_src
                                      weight_desc_,          // weights
                                      diff_out.get_desc());  // diff_dst
    const ip_bwd_data::primitive_desc data_pd(data_desc, GraphBuilder::attributes(),
                                              builder.engine(), tape.pd);
    const memory diff_src =
        input_gradient.into ? input_gradient.into : builder.make(data_pd.diff_src_desc());
    builder.add(name_ + ".backward_data", Phase::backward, data_pd,
                {{DNNL_ARG_DIFF_DST, diff_out},
                 {DNNL_ARG_WEIGHTS, weight_},
                 {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
}

}  // namespace vaednn::detail
