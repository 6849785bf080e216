// The memory estimate: the tensors Vae::Impl and build_graph() allocate, counted in floats
// from the layer shapes, in the graph's order. Every count is a Count, whose arithmetic sticks at
// SIZE_MAX instead of wrapping.
#include "vaednn/memory_estimate.hpp"

#include <cstdint>

namespace vaednn {

namespace {

class Count {
  public:
    constexpr Count(std::size_t value = 0) : value_(value) {}
    constexpr std::size_t value() const { return value_; }
    constexpr bool saturated() const { return value_ == SIZE_MAX; }

    friend Count operator+(Count a, Count b) {
        std::size_t sum = 0;
        return __builtin_add_overflow(a.value_, b.value_, &sum) ? Count(SIZE_MAX) : Count(sum);
    }
    friend Count operator*(Count a, Count b) {
        std::size_t product = 0;
        // 0 times a saturated count is still 0: a layer with no channels holds nothing.
        return __builtin_mul_overflow(a.value_, b.value_, &product) ? Count(SIZE_MAX)
                                                                    : Count(product);
    }
    Count& operator+=(Count other) { return *this = *this + other; }

  private:
    std::size_t value_;
};

Count max(Count a, Count b) {
    return a.value() > b.value() ? a : b;
}

// A configuration field as a count: negative sizes hold nothing.
Count dim(int value) {
    return value > 0 ? Count(static_cast<std::size_t>(value)) : Count(0);
}

Count round_up(Count value, std::size_t multiple) {
    if (value.saturated() || value.value() > SIZE_MAX - (multiple - 1)) return SIZE_MAX;
    return (value.value() + multiple - 1) / multiple * multiple;
}

// Blocked activation and weight layouts (nChw16c, OIhw16i16o) pad channels to 16.
Count padded(Count channels) {
    return round_up(channels, 16);
}

// oneDNN's RNN leading dimension: 64-byte multiples, but never a multiple of 256 floats (4K
// aliasing), as its get_good_ld() picks.
Count rnn_ld(Count dim) {
    const Count ld = round_up(dim, 16);
    return !ld.saturated() && ld.value() % 256 == 0 ? ld + 16 : ld;
}

// Each parameter tensor starts on a cache line in the arena (ParamArena's padding).
constexpr std::size_t kArenaAlignFloats = 16;
constexpr std::size_t kParameterTensors = 16;
// Primitives, their JIT code and descriptors, and the graph's node list: measured at ~0.3 MiB
// for the 65 nodes of a graph; 1 MiB leaves room for ISAs with bigger kernels.
constexpr std::size_t kGraphOverheadBytes = std::size_t{1} << 20;
// The LSTM workspace's parts each start on a 4 KiB page.
constexpr std::size_t kRnnPageFloats = 4096 / sizeof(float);
constexpr std::size_t kRnnWorkspaceParts = 8;
constexpr std::size_t kKernelTaps = 3 * 3;  // every deconvolution is 3x3

struct Shapes {
    Count n;                     // batch
    Count steps, input, pixels;  // T = rows, I = cols, rows x cols
    Count hidden, latent;        // H, Z
    Count c0, c1, c2;            // decoder channels
    Count side0, side1, side2;   // rows/4, rows/2, rows: the decoder's image sides
    Count fc_out;                // c0 x side0^2

    Shapes(const VaeConfig& c, std::size_t batch)
        : n(batch),
          steps(dim(c.image_rows)),
          input(dim(c.image_cols)),
          pixels(dim(c.image_rows) * dim(c.image_cols)),
          hidden(dim(c.hidden)),
          latent(dim(c.latent)),
          c0(dim(c.decoder_channels[0])),
          c1(dim(c.decoder_channels[1])),
          c2(dim(c.decoder_channels[2])),
          side0(dim(c.image_rows / 4)),
          side1(side0 * 2),
          side2(side0 * 4),
          fc_out(c0 * side0 * side0) {}

    Count area(Count side) const { return side * side; }
};

// ------------------------------------------------------------------------ the model

Count lstm_parameter_floats(const Shapes& s) {
    // weight_ih {I, 4H} and weight_hh {H, 4H} in ldigo with the RNN leading dimension; two biases.
    const Count gates = s.hidden * 4;
    return (s.input + s.hidden) * rnn_ld(gates) + gates * 2;
}

Count parameter_floats(const Shapes& s) {
    Count floats = lstm_parameter_floats(s);
    floats += s.latent * 2 * (s.hidden + 1);                     // mu and logvar heads
    floats += padded(s.fc_out) * padded(s.latent) + s.fc_out;    // decoder.fc, maybe blocked
    floats += padded(s.c0) * padded(s.c1) * kKernelTaps + s.c1;  // deconv1
    floats += padded(s.c1) * padded(s.c2) * kKernelTaps + s.c2;  // deconv2
    floats += padded(s.c2) * padded(1) * kKernelTaps + 1;        // deconv3
    return floats + kParameterTensors * kArenaAlignFloats;
}

// ------------------------------------------------------------------------ one step graph

// oneDNN 2.6's LSTM forward_training workspace: the gates of every step, and for each of the
// (T + 1) state slots of both layer boundaries the hidden and cell states and their gradients
// (15 state-sized slabs, measured against the primitive's workspace_desc() for H from 1 to 2048).
Count onednn_lstm_workspace_floats(const Shapes& s) {
    const Count gates = s.steps * s.n * rnn_ld(s.hidden * 4);
    const Count states = Count(15) * (s.steps + 1) * s.n * rnn_ld(max(s.hidden, s.input));
    return gates + states + kRnnWorkspaceParts * kRnnPageFloats;
}

// The fused LSTM's tape: every step's gates, cell states and their tanh, and hidden states from
// h_0 (its dst_layer is part of them).
Count fused_lstm_tape_floats(const Shapes& s) {
    const Count cells = s.steps * s.n * s.hidden;
    return cells * 4 + (s.steps + 1) * s.n * s.hidden * 2 + cells;
}

// The scratchpad the graph's primitives share: oneDNN's LSTM backward's is the largest of the
// graph, the workspace's layout again plus the gates' gradients of every step. The fused LSTM's
// GEMMs need none; the decoder's largest, gemm deconvolution's im2col of deconv2 at most.
Count shared_scratchpad_floats(const Shapes& s, LstmKernel kernel) {
    if (kernel == LstmKernel::onednn) {
        return onednn_lstm_workspace_floats(s) + s.steps * s.n * rnn_ld(s.hidden * 4);
    }
    return s.n * padded(s.c1) * kKernelTaps * s.area(s.side1);
}

Count encoder_floats(const Shapes& s, LstmKernel kernel) {
    Count floats = s.n * s.pixels * 2;  // the batch, and its {T, N, I} copy for the LSTM
    if (kernel == LstmKernel::onednn) {
        floats += s.n * s.hidden;            // the zero initial state
        floats += s.steps * s.n * s.hidden;  // dst_layer: every step's h
        floats += onednn_lstm_workspace_floats(s);
    } else {
        floats += fused_lstm_tape_floats(s);
    }
    floats += s.n * s.latent * 2 * 2;  // the heads' output, [mu | logvar]
    floats += s.n * s.latent * 2;      // eps and z
    return floats;
}

// The sub-pixel deconvolutions' per-residue kernels, gathered and reordered: the taps of all
// residues add up to the whole kernel.
Count subpixel_weight_floats(Count in, Count out) {
    return padded(in) * padded(out) * kKernelTaps * 2;
}

Count decoder_floats(const Shapes& s) {
    const Count b = s.n;
    Count floats = b * s.fc_out;  // dense + ReLU
    // deconv1, sub-pixel: its input reordered to blocked, one residue's output, the whole output.
    floats += b * padded(s.c0) * s.area(s.side0);
    floats += b * padded(s.c1) * s.area(s.side0);
    floats += b * padded(s.c1) * s.area(s.side1);
    floats += subpixel_weight_floats(s.c0, s.c1);
    // deconv2, sub-pixel, reading deconv1's output as it is.
    floats += b * padded(s.c2) * s.area(s.side1);
    floats += b * padded(s.c2) * s.area(s.side2);
    floats += subpixel_weight_floats(s.c1, s.c2);
    // deconv3, plain: its input reordered to nchw, the logits.
    floats += b * s.c2 * s.area(s.side2);
    floats += b * s.pixels;
    return floats;
}

Count loss_floats(const Shapes& s) {
    // d(logits), and the per-image reconstruction and KL terms in double.
    return s.n * s.pixels + s.n * 2 * 2;
}

Count backward_floats(const Shapes& s, LstmKernel kernel) {
    const Count b = s.n;
    // deconv3: d(logits) in the backward-weights primitive's blocked layout (its one channel
    // padded), and the gradient of its input.
    Count floats = b * padded(1) * s.area(s.side2) + b * padded(s.c2) * s.area(s.side2);
    // deconv2 and deconv1: the ReLU's gradient and the gradient of the input.
    floats += b * padded(s.c2) * s.area(s.side2) + b * padded(s.c1) * s.area(s.side1);
    floats += b * padded(s.c1) * s.area(s.side1) + b * padded(s.c0) * s.area(s.side0);
    floats += padded(s.c0) * padded(s.c1) * kKernelTaps * 2;  // weights in backward layouts
    floats += padded(s.c1) * padded(s.c2) * kKernelTaps * 2;
    floats += padded(s.c2) * padded(1) * kKernelTaps * 2;
    // The dense layer: its input gradient back in nchw, the ReLU's gradient, d(z).
    floats += b * s.fc_out * 2 + b * s.latent;
    // The heads: d([mu | logvar]); the LSTM's output gradient, zero but for the last step.
    floats += b * s.latent * 2 + s.steps * b * s.hidden;
    if (kernel == LstmKernel::onednn) {
        // The LSTM: its weights in the backward primitive's ldgoi layout, the gradients of its
        // input and initial states.
        floats += s.hidden * 4 * (rnn_ld(s.input) + rnn_ld(s.hidden));
        floats += s.steps * b * s.input + b * s.hidden * 2;
    } else {
        // The fused LSTM: the gradients of h and c carried between steps (the gates' gradients
        // overwrite the gates).
        floats += b * s.hidden * 2;
    }
    return floats;
}

Count bytes(Count floats) {
    return floats * sizeof(float);
}

}  // namespace

std::size_t estimate_model_bytes(const VaeConfig& config) {
    const Shapes s(config, 0);
    // Weights, gradients, Adam's first and second moments; the LSTM's summed bias.
    return bytes(parameter_floats(s) * 4 + s.hidden * 4).value();
}

std::size_t estimate_graph_bytes(const VaeConfig& config, std::size_t batch_size,
                                 LstmKernel kernel) {
    const Shapes s(config, batch_size);
    const Count floats = encoder_floats(s, kernel) + decoder_floats(s) + loss_floats(s) +
                         backward_floats(s, kernel) + shared_scratchpad_floats(s, kernel);
    return (bytes(floats) + kGraphOverheadBytes).value();
}

std::size_t estimate_training_bytes(const VaeConfig& config, std::size_t batch_size,
                                    LstmKernel kernel) {
    return (Count(estimate_model_bytes(config)) + estimate_graph_bytes(config, batch_size, kernel))
        .value();
}

}  // namespace vaednn
