// One unidirectional LSTM layer over a sequence, computed one of two ways (LstmKernel):
// - fused (the default): oneDNN GEMMs and our cell kernels. The input projection of every step
//   is one GEMM; each step is one recurrent GEMM (a 1x1 convolution with blocked weights) and
//   one pass of the cell; backward computes all weight gradients as one GEMM each over every step.
// - onednn: oneDNN's lstm_forward / lstm_backward, whose f32 training runs its reference driver.
// Both keep PyTorch's parameters (gate order i, f, g, o, which is oneDNN's i, f, c~, o; two biases,
// whose sum the gates read), so a checkpoint does not say which one trained it.
#pragma once

#include <memory>
#include <string>

#include "engine/builder.hpp"
#include "engine/param_arena.hpp"
#include "nn/layer.hpp"
#include "vaednn/model.hpp"

namespace vaednn::detail {

class Lstm {
  public:
    Lstm(std::string name, std::string torch_name, int steps, int input, int hidden,
         LstmKernel kernel);

    // Declares weight_ih_l0 [4H, I], weight_hh_l0 [4H, H], bias_ih_l0 [4H], bias_hh_l0 [4H], the
    // weights in the layout the kernel computes with.
    void declare(ParamArena& params, const dnnl::engine& engine, int reference_batch);
    void bind(const ParamArena& params, const dnnl::engine& engine);

    struct Tape {
        memory src_layer;  // {T, N, I} tnc
        memory dst_layer;  // {T, N, H} tnc: every step's hidden state
        // fused: every step's activated gates {T, N, 4H} (overwritten by their gradients in
        // backward), cell states {T + 1, N, H} from c_0 = 0 and their tanh {T, N, H}, hidden states
        // {T + 1, N, H} from h_0 = 0 (dst_layer is rows 1..T). An inference graph keeps one step
        // of cell state and its tanh.
        memory gates, cells, tanh_cells, hidden_states;
        // onednn: the primitive's workspace (training only), h_0 = c_0 = 0, its descriptor.
        memory workspace, zero_state;
        dnnl::lstm_forward::primitive_desc pd;
    };

    // Every step's hidden state from a zero initial state.  src {T, N, I} -> dst {T, N, H}
    Tape forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const;
    // Weight and bias gradients into the arena from diff_dst_layer {T, N, H} (tnc); returns the
    // gradient for src_layer {T, N, I} as `input_gradient` asks.
    memory backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                    const InputGradient& input_gradient) const;

    LstmKernel kernel() const noexcept { return kernel_; }

  private:
    // lstm.cpp: both kernels' parameters and the bias sum.
    void add_bias_sum(GraphBuilder& builder) const;
    void add_bias_grad_copy(GraphBuilder& builder) const;
    // lstm_onednn.cpp
    dnnl::lstm_forward::desc onednn_forward_desc(memory::dim batch, Pass pass) const;
    memory::desc onednn_state_desc(memory::dim batch) const {
        return plain_desc({1, 1, batch, hidden_}, Tag::ldnc);
    }
    Tape onednn_forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const;
    memory onednn_backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                           const InputGradient& input_gradient) const;
    // lstm_fused.cpp
    Tape fused_forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const;
    memory fused_backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                          const InputGradient& input_gradient) const;

    std::string name_, torch_name_;
    int steps_, input_, hidden_;
    LstmKernel kernel_;
    ParamArena::Id weights_layer_id_ = 0, weights_iter_id_ = 0, bias_ih_id_ = 0, bias_hh_id_ = 0;
    memory::desc weights_layer_desc_, weights_iter_desc_, bias_desc_;
    memory weights_layer_, weights_iter_, bias_ih_, bias_hh_;
    memory weights_layer_grad_, weights_iter_grad_, bias_ih_grad_, bias_hh_grad_;
    memory bias_sum_;  // b_ih + b_hh, what the gates read; shared by every graph
};

}  // namespace vaednn::detail
