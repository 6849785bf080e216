// A transposed convolution, optionally followed by a ReLU. Matches PyTorch's
// ConvTranspose2d(in, out, kernel, stride, padding, output_padding):
// output side = (in_side - 1) * stride - 2 * padding + kernel + output_padding.
#pragma once

#include <string>
#include <vector>

#include "engine/builder.hpp"
#include "engine/param_arena.hpp"
#include "nn/layer.hpp"

namespace vaednn::detail {

struct DeconvShape {
    int in_channels, out_channels;
    int kernel, stride, padding, output_padding;
    int in_side;  // square inputs: in_side x in_side
    int out_side() const { return (in_side - 1) * stride - 2 * padding + kernel + output_padding; }
};

// How the forward pass runs. Measured per layer shape (docs/PERFORMANCE.md, `bench_vae
// --benchmark_filter=deconv_forward_algorithms`); choose_deconv_forward() holds the result.
enum class DeconvForward {
    // oneDNN's deconvolution in layouts of its choice (format_tag::any).
    direct_any,
    // oneDNN's deconvolution in plain nchw, which takes its gemm path. For one output channel the
    // blocked layout `any` picks pads the channel to 16 and is ~8x slower.
    direct_plain,
    // Sub-pixel decomposition: output pixels of one residue (y mod stride, x mod stride) depend
    // on a fixed subset of the kernel's taps, so each residue is a stride-1 *convolution* with
    // that sub-kernel, flipped, written interleaved into the output. oneDNN's strided
    // deconvolution forward runs at ~40% of its convolutions' speed; this runs at their speed
    // and fuses the ReLU.
    subpixel,
};
const char* deconv_forward_name(DeconvForward algorithm);

// The measured choice: sub-pixel for strided layers it can express, plain for one output
// channel, oneDNN's own layouts otherwise.
DeconvForward choose_deconv_forward(const DeconvShape& shape);

class Deconv {
  public:
    // Throws std::invalid_argument when `algorithm` cannot express `shape` (see
    // subpixel_possible()).
    Deconv(std::string name, std::string torch_name, DeconvShape shape, bool relu,
           DeconvForward algorithm);

    // Whether the sub-pixel decomposition applies: every residue of the output has at least one
    // kernel tap, non-negative padding, and the output side is a multiple of the stride.
    static bool subpixel_possible(const DeconvShape& shape);

    // Declares weight [in, out, k, k] (PyTorch's layout, oneDNN's iohw) and bias [out]. The direct
    // algorithms keep the weight in the layout their forward primitive picks at
    // `reference_batch`; sub-pixel keeps PyTorch's, which its per-step weight gather reads.
    void declare(ParamArena& params, const dnnl::engine& engine, int reference_batch);
    void bind(const ParamArena& params, const dnnl::engine& engine);

    struct Tape {
        memory input;  // src as the caller gave it
        memory src;    // {N, in, s, s} in the forward primitive's layout
        memory dst;    // {N, out, s', s'}, after the ReLU when there is one
        dnnl::deconvolution_forward::primitive_desc pd;  // the backward primitives' hint
    };

    // dst = relu?(deconv(src, W) + b)        {N, in, s, s} -> {N, out, s', s'}
    Tape forward(GraphBuilder& builder, const memory& src, Pass pass) const;
    // Weight and bias gradients into the arena; returns the gradient for the input as
    // `input_gradient` asks (a new tensor is in the backward-data primitive's layout).
    memory backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst,
                    const InputGradient& input_gradient) const;

    const DeconvShape& shape() const noexcept { return shape_; }
    DeconvForward algorithm() const noexcept { return algorithm_; }

  private:
    // One output residue r along one spatial axis: outputs y = stride * m + r read inputs
    // m + c - j through kernel taps first_tap + stride * j, j < taps. As a convolution over m:
    // conv tap t = taps - 1 - j, left padding taps - 1 - c.
    struct Residue {
        int first_tap, taps, pad_l, pad_r;
        int kernel_index(int conv_tap, int stride) const {
            return first_tap + stride * (taps - 1 - conv_tap);
        }
    };
    static std::vector<Residue> residues(const DeconvShape& shape);

    Tape forward_direct(GraphBuilder& builder, const memory& src, Pass pass) const;
    Tape forward_subpixel(GraphBuilder& builder, const memory& src, Pass pass) const;
    dnnl::deconvolution_forward::desc forward_desc(const memory::desc& src, const memory::desc& dst,
                                                   const memory::desc& weights, Pass pass) const;
    memory::desc activation_desc(const Dims& dims) const;
    Dims strides() const;
    Dims padding_l() const;
    Dims padding_r() const;
    Dims src_dims(memory::dim batch) const;
    Dims dst_dims(memory::dim batch) const;
    Dims weight_dims() const;

    std::string name_, torch_name_;
    DeconvShape shape_;
    bool relu_;
    DeconvForward algorithm_;
    ParamArena::Id weight_id_ = 0, bias_id_ = 0;
    memory::desc weight_desc_, bias_desc_;
    memory weight_, bias_, weight_grad_, bias_grad_;
};

}  // namespace vaednn::detail
