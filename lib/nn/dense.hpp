// A fully connected layer on oneDNN's inner product: {N, in} -> {N, out}, optionally followed by
// a ReLU fused into the forward primitive as a post-op.
#pragma once

#include <string>
#include <vector>

#include "engine/builder.hpp"
#include "engine/param_arena.hpp"
#include "nn/layer.hpp"

namespace vaednn::detail {

class Dense {
  public:
    // `parts` names the PyTorch modules whose parameters this layer holds, e.g. {"decoder.fc"}.
    // With several parts (the mu and log-variance heads), the output rows are split evenly among
    // them and each part's weight [out/parts, in] and bias sit back to back in the arena, so one
    // primitive computes all parts.
    Dense(std::string name, std::vector<std::string> parts, int in, int out, bool relu);

    // Declares the weight and bias. A single part keeps its weight in the layout the forward
    // primitive chooses (format_tag::any) at `reference_batch`; several parts are plain.
    void declare(ParamArena& params, const dnnl::engine& engine, int reference_batch);
    // Binds this layer to the allocated arena.
    void bind(const ParamArena& params, const dnnl::engine& engine);

    struct Tape {
        memory src;  // {N, in} as the primitive read it
        memory dst;  // {N, out}, after the ReLU when there is one
        dnnl::inner_product_forward::primitive_desc pd;
    };

    // dst = relu?(src · Wᵀ + b)        src {N, in} -> dst {N, out}
    Tape forward(GraphBuilder& builder, const memory& src, Pass pass) const;
    // From diff_dst {N, out}: the weight and bias gradients into the arena; returns the gradient
    // for the input {N, in} as `input_gradient` asks.
    memory backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                    const InputGradient& input_gradient) const;

    const std::string& name() const noexcept { return name_; }

  private:
    std::string name_;
    std::vector<std::string> parts_;
    int in_, out_;
    bool relu_;
    ParamArena::Id weight_id_ = 0, bias_id_ = 0;
    memory::desc weight_desc_, bias_desc_;
    memory weight_, bias_, weight_grad_, bias_grad_;
};

}  // namespace vaednn::detail
