#include "nn/lstm.hpp"

#include <cmath>
#include <cstring>

namespace vaednn::detail {

namespace {

constexpr int kGates = 4;

float* data_of(const memory& m) {
    return static_cast<float*>(m.get_data_handle());
}

}  // namespace

Lstm::Lstm(std::string name, std::string torch_name, int steps, int input, int hidden,
           LstmKernel kernel)
    : name_(std::move(name)),
      torch_name_(std::move(torch_name)),
      steps_(steps),
      input_(input),
      hidden_(hidden),
      kernel_(kernel) {}

void Lstm::declare(ParamArena& params, const dnnl::engine& engine, int reference_batch) {
    bias_desc_ = plain_desc({1, 1, kGates, hidden_}, Tag::ldgo);
    if (kernel_ == LstmKernel::onednn) {
        // Let the forward primitive choose the weight layouts.
        weights_layer_desc_ = any_desc({1, 1, input_, kGates, hidden_});
        weights_iter_desc_ = any_desc({1, 1, hidden_, kGates, hidden_});
        const dnnl::lstm_forward::primitive_desc pd(
            onednn_forward_desc(reference_batch, Pass::training), GraphBuilder::attributes(),
            engine);
        weights_layer_desc_ = pd.weights_layer_desc();
        weights_iter_desc_ = pd.weights_iter_desc();
    } else {
        // Row-major [I, 4H] and [H, 4H]: the right-hand sides of x W_ih and h W_hh, whose
        // transposes (PyTorch's own layout) backward reads as strided views of the same bytes.
        weights_layer_desc_ = plain_desc({1, 1, input_, kGates, hidden_}, Tag::ldigo);
        weights_iter_desc_ = plain_desc({1, 1, hidden_, kGates, hidden_}, Tag::ldigo);
    }

    // PyTorch's [4H, I] is oneDNN's ldgoi; its LSTM init is U(-1/sqrt(H), 1/sqrt(H)) everywhere.
    const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_));
    const std::int64_t gates_hidden = kGates * hidden_;
    weights_layer_id_ = params.declare(torch_name_ + ".weight_ih_l0", {gates_hidden, input_},
                                       plain_desc({1, 1, input_, kGates, hidden_}, Tag::ldgoi),
                                       weights_layer_desc_, bound);
    weights_iter_id_ = params.declare(torch_name_ + ".weight_hh_l0", {gates_hidden, hidden_},
                                      plain_desc({1, 1, hidden_, kGates, hidden_}, Tag::ldgoi),
                                      weights_iter_desc_, bound);
    bias_ih_id_ =
        params.declare(torch_name_ + ".bias_ih_l0", {gates_hidden}, bias_desc_, bias_desc_, bound);
    bias_hh_id_ =
        params.declare(torch_name_ + ".bias_hh_l0", {gates_hidden}, bias_desc_, bias_desc_, bound);
}

void Lstm::bind(const ParamArena& params, const dnnl::engine& engine) {
    weights_layer_ = params.weight(weights_layer_id_);
    weights_iter_ = params.weight(weights_iter_id_);
    bias_ih_ = params.weight(bias_ih_id_);
    bias_hh_ = params.weight(bias_hh_id_);
    weights_layer_grad_ = params.grad(weights_layer_id_);
    weights_iter_grad_ = params.grad(weights_iter_id_);
    bias_ih_grad_ = params.grad(bias_ih_id_);
    bias_hh_grad_ = params.grad(bias_hh_id_);
    bias_sum_ = memory(bias_desc_, engine);
}

Lstm::Tape Lstm::forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const {
    add_bias_sum(builder);
    return kernel_ == LstmKernel::fused ? fused_forward(builder, src_layer, pass)
                                        : onednn_forward(builder, src_layer, pass);
}

memory Lstm::backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                      const InputGradient& input_gradient) const {
    memory diff_src = kernel_ == LstmKernel::fused
                          ? fused_backward(builder, tape, diff_dst_layer, input_gradient)
                          : onednn_backward(builder, tape, diff_dst_layer, input_gradient);
    add_bias_grad_copy(builder);
    return diff_src;
}

void Lstm::add_bias_sum(GraphBuilder& builder) const {
    const std::size_t bias_count = static_cast<std::size_t>(kGates * hidden_);
    builder.add_kernel(
        name_ + ".bias_sum", Phase::forward, {},
        [ih = data_of(bias_ih_), hh = data_of(bias_hh_), sum = data_of(bias_sum_), bias_count] {
            for (std::size_t i = 0; i < bias_count; ++i) sum[i] = ih[i] + hh[i];
        });
}

void Lstm::add_bias_grad_copy(GraphBuilder& builder) const {
    // Both PyTorch biases enter the gates the same way, so their gradients are equal: backward
    // writes bias_ih's.
    builder.add_kernel(
        name_ + ".bias_grad", Phase::backward, {}, [from = bias_ih_grad_, to = bias_hh_grad_] {
            std::memcpy(to.get_data_handle(), from.get_data_handle(), from.get_desc().get_size());
        });
}

}  // namespace vaednn::detail
