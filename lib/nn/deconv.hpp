// A transposed convolution (oneDNN's deconvolution), optionally followed by a ReLU fused into the
// forward primitive. Matches PyTorch's ConvTranspose2d(in, out, kernel, stride, padding,
// output_padding): output side = (in_side - 1) * stride - 2 * padding + kernel + output_padding.
#pragma once

#include <string>

#include "engine/builder.hpp"
#include "engine/param_arena.hpp"

namespace vaednn::detail {

struct DeconvShape {
    int in_channels, out_channels;
    int kernel, stride, padding, output_padding;
    int in_side;  // square inputs: in_side x in_side
    int out_side() const { return (in_side - 1) * stride - 2 * padding + kernel + output_padding; }
};

class Deconv {
  public:
    // With `plain_activations`, src and dst are plain nchw rather than oneDNN's choice: for one
    // output channel, the blocked layout oneDNN picks pads 1 channel to 16 and is ~8x slower.
    Deconv(std::string name, std::string torch_name, DeconvShape shape, bool relu,
           bool plain_activations = false);

    // Declares weight [in, out, k, k] (PyTorch's layout, oneDNN's iohw) and bias [out]; the arena
    // keeps the weight in the layout the forward primitive picks at `reference_batch`.
    void declare(ParamArena& params, const dnnl::engine& engine, int reference_batch);
    void bind(const ParamArena& params);

    struct Tape {
        memory src;  // {N, in, s, s} in the primitive's layout
        memory dst;  // {N, out, 2s.., ..}, after the ReLU when there is one
        dnnl::deconvolution_forward::primitive_desc pd;
    };

    // dst = relu?(deconv(src, W) + b)        {N, in, s, s} -> {N, out, s', s'}
    Tape forward(GraphBuilder& builder, const memory& src) const;
    // Weight and bias gradients into the arena; returns the gradient for the input (in the
    // forward src layout) when `want_diff_src`, else an empty memory.
    memory backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                    bool want_diff_src) const;

    const DeconvShape& shape() const noexcept { return shape_; }

  private:
    dnnl::deconvolution_forward::desc forward_desc(const memory::desc& src, const memory::desc& dst,
                                                   const memory::desc& weights) const;
    memory::desc activation_desc(const Dims& dims) const;
    Dims strides() const;
    Dims padding_l() const;
    Dims padding_r() const;
    Dims src_dims(memory::dim batch) const;
    Dims dst_dims(memory::dim batch) const;

    std::string name_, torch_name_;
    DeconvShape shape_;
    bool relu_;
    bool plain_activations_;
    ParamArena::Id weight_id_ = 0, bias_id_ = 0;
    memory::desc weight_desc_, bias_desc_;
    memory weight_, bias_, weight_grad_, bias_grad_;
};

}  // namespace vaednn::detail
