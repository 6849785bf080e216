// One unidirectional LSTM layer over a sequence, on oneDNN's lstm_forward / lstm_backward.
// PyTorch's gate order (i, f, g, o) is oneDNN's (i, f, c~, o). PyTorch keeps two biases; so do we
// (exact Adam parity), and their sum is what the primitive reads.
#pragma once

#include <string>

#include "engine/builder.hpp"
#include "engine/param_arena.hpp"
#include "nn/layer.hpp"

namespace vaednn::detail {

class Lstm {
  public:
    Lstm(std::string name, std::string torch_name, int steps, int input, int hidden);

    // Declares weight_ih_l0 [4H, I], weight_hh_l0 [4H, H] (kept in the forward primitive's
    // layout), bias_ih_l0 [4H], bias_hh_l0 [4H].
    void declare(ParamArena& params, const dnnl::engine& engine, int reference_batch);
    void bind(const ParamArena& params, const dnnl::engine& engine);

    struct Tape {
        memory src_layer;   // {T, N, I} tnc
        memory dst_layer;   // {T, N, H} tnc: every step's hidden state
        memory workspace;   // training only
        memory zero_state;  // h_0 = c_0 = 0, {1, 1, N, H}
        dnnl::lstm_forward::primitive_desc pd;
    };

    // Every step's hidden state from a zero initial state.  src {T, N, I} -> dst {T, N, H}
    Tape forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const;
    // Weight and bias gradients into the arena from diff_dst_layer {T, N, H} (tnc); returns the
    // gradient for src_layer {T, N, I} as `input_gradient` asks.
    memory backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                    const InputGradient& input_gradient) const;

  private:
    dnnl::lstm_forward::desc forward_desc(memory::dim batch, Pass pass) const;
    memory::desc state_desc(memory::dim batch) const {
        return plain_desc({1, 1, batch, hidden_}, Tag::ldnc);
    }

    std::string name_, torch_name_;
    int steps_, input_, hidden_;
    ParamArena::Id weights_layer_id_ = 0, weights_iter_id_ = 0, bias_ih_id_ = 0, bias_hh_id_ = 0;
    memory::desc weights_layer_desc_, weights_iter_desc_, bias_desc_;
    memory weights_layer_, weights_iter_, bias_ih_, bias_hh_;
    memory weights_layer_grad_, weights_iter_grad_, bias_ih_grad_, bias_hh_grad_;
    memory bias_sum_;  // b_ih + b_hh, what the primitives read; shared by every graph
};

}  // namespace vaednn::detail
