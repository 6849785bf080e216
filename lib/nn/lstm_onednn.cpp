// The LSTM on oneDNN's own primitives (LstmKernel::onednn). In oneDNN 2.6.3 f32 training runs
// its reference driver: one GEMM call per step, with a workspace of every step's gates and states
// (tests/test_memory_plan.cpp and docs/PERFORMANCE.md compare it with the fused kernel).
#include <cstring>

#include "nn/lstm.hpp"

namespace vaednn::detail {

using dnnl::prop_kind;
using dnnl::rnn_direction;
using lstm_fwd = dnnl::lstm_forward;
using lstm_bwd = dnnl::lstm_backward;

namespace {

constexpr int kGates = 4;

void zero(const memory& m) {
    std::memset(m.get_data_handle(), 0, m.get_desc().get_size());
}

}  // namespace

lstm_fwd::desc Lstm::onednn_forward_desc(memory::dim batch, Pass pass) const {
    // The initial state is an explicit zero tensor, not oneDNN's "none" (zero desc): with none,
    // oneDNN 2.6's backward computes dW_hh from h_t instead of h_(t-1) (oneDNN issue #1436;
    // tests/test_golden.cpp catches it). The final state is read from dst_layer.
    const memory::desc none;
    return lstm_fwd::desc(forward_kind(pass), rnn_direction::unidirectional_left2right,
                          plain_desc({steps_, batch, input_}, Tag::tnc),   // src_layer
                          onednn_state_desc(batch),                        // src_iter
                          onednn_state_desc(batch),                        // src_iter_c
                          weights_layer_desc_,                             // weights_layer
                          weights_iter_desc_,                              // weights_iter
                          bias_desc_,                                      // bias
                          plain_desc({steps_, batch, hidden_}, Tag::tnc),  // dst_layer
                          none,                                            // dst_iter
                          none);                                           // dst_iter_c
}

Lstm::Tape Lstm::onednn_forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const {
    const auto batch = dim_of(src_layer, 1);
    Tape tape;
    tape.src_layer = src_layer;
    tape.pd = lstm_fwd::primitive_desc(onednn_forward_desc(batch, pass), GraphBuilder::attributes(),
                                       builder.engine());
    // Zeroed once here, so it keeps a buffer of its own outside the plan.
    tape.zero_state = builder.make_persistent(onednn_state_desc(batch));
    zero(tape.zero_state);
    tape.dst_layer = builder.make(tape.pd.dst_layer_desc());

    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC_LAYER, tape.src_layer},   {DNNL_ARG_SRC_ITER, tape.zero_state},
        {DNNL_ARG_SRC_ITER_C, tape.zero_state}, {DNNL_ARG_WEIGHTS_LAYER, weights_layer_},
        {DNNL_ARG_WEIGHTS_ITER, weights_iter_}, {DNNL_ARG_BIAS, bias_sum_},
        {DNNL_ARG_DST_LAYER, tape.dst_layer}};
    // Every step's gates and states, for backward: the training graph's largest tensor.
    if (pass == Pass::training) {
        tape.workspace = builder.make(tape.pd.workspace_desc());
        args.emplace(DNNL_ARG_WORKSPACE, tape.workspace);
    }
    builder.add(name_ + ".forward", Phase::forward, tape.pd, std::move(args));
    return tape;
}

memory Lstm::onednn_backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                             const InputGradient& input_gradient) const {
    const auto batch = dim_of(tape.src_layer, 1);
    const memory::desc none;
    const memory::desc state = onednn_state_desc(batch);
    const lstm_bwd::desc desc(prop_kind::backward, rnn_direction::unidirectional_left2right,
                              tape.src_layer.get_desc(),                   // src_layer
                              state, state,                                // src_iter, src_iter_c
                              any_desc({1, 1, input_, kGates, hidden_}),   // weights_layer
                              any_desc({1, 1, hidden_, kGates, hidden_}),  // weights_iter
                              bias_desc_,                                  // bias
                              tape.dst_layer.get_desc(),                   // dst_layer
                              none, none,                                  // dst_iter, dst_iter_c
                              plain_desc({steps_, batch, input_}, Tag::tnc),  // diff_src_layer
                              state, state,                                   // diff_src_iter(_c)
                              any_desc({1, 1, input_, kGates, hidden_}),      // diff_weights_layer
                              any_desc({1, 1, hidden_, kGates, hidden_}),     // diff_weights_iter
                              bias_desc_,                                     // diff_bias
                              diff_dst_layer.get_desc(),                      // diff_dst_layer
                              none, none);                                    // diff_dst_iter(_c)
    const lstm_bwd::primitive_desc pd(desc, GraphBuilder::attributes(), builder.engine(), tape.pd);

    // The backward primitive wants the weights in its own layout (ldgoi): one reorder each per
    // step, since the forward layout is what Adam updates.
    const memory weights_layer = builder.to_layout(
        name_ + ".reorder_weights_layer", Phase::backward, weights_layer_, pd.weights_layer_desc());
    const memory weights_iter = builder.to_layout(name_ + ".reorder_weights_iter", Phase::backward,
                                                  weights_iter_, pd.weights_iter_desc());

    // oneDNN 2.6's LSTM backward adds into its weight gradients, so they start from zero. Where
    // its gradient layout equals the arena's it writes there directly.
    const memory diff_weights_layer =
        builder.output_for(weights_layer_grad_, pd.diff_weights_layer_desc());
    const memory diff_weights_iter =
        builder.output_for(weights_iter_grad_, pd.diff_weights_iter_desc());
    const memory diff_bias = bias_ih_grad_;  // copied to bias_hh's gradient by backward()
    // The primitive writes the input's gradient whether or not anyone reads it.
    const memory diff_src_layer =
        input_gradient.into ? builder.output_for(input_gradient.into, pd.diff_src_layer_desc())
                            : builder.make(pd.diff_src_layer_desc());
    const memory diff_src_iter = builder.make(pd.diff_src_iter_desc());
    const memory diff_src_iter_c = builder.make(pd.diff_src_iter_c_desc());
    builder.add_kernel(name_ + ".zero_grad", Phase::backward,
                       {diff_weights_layer, diff_weights_iter, diff_bias},
                       [diff_weights_layer, diff_weights_iter, diff_bias] {
                           zero(diff_weights_layer);
                           zero(diff_weights_iter);
                           zero(diff_bias);
                       });
    builder.add(name_ + ".backward", Phase::backward, pd,
                {{DNNL_ARG_SRC_LAYER, tape.src_layer},
                 {DNNL_ARG_SRC_ITER, tape.zero_state},
                 {DNNL_ARG_SRC_ITER_C, tape.zero_state},
                 {DNNL_ARG_WEIGHTS_LAYER, weights_layer},
                 {DNNL_ARG_WEIGHTS_ITER, weights_iter},
                 {DNNL_ARG_BIAS, bias_sum_},
                 {DNNL_ARG_DST_LAYER, tape.dst_layer},
                 {DNNL_ARG_WORKSPACE, tape.workspace},
                 {DNNL_ARG_DIFF_DST_LAYER, diff_dst_layer},
                 {DNNL_ARG_DIFF_SRC_LAYER, diff_src_layer},
                 {DNNL_ARG_DIFF_SRC_ITER, diff_src_iter},
                 {DNNL_ARG_DIFF_SRC_ITER_C, diff_src_iter_c},
                 {DNNL_ARG_DIFF_WEIGHTS_LAYER, diff_weights_layer},
                 {DNNL_ARG_DIFF_WEIGHTS_ITER, diff_weights_iter},
                 {DNNL_ARG_DIFF_BIAS, diff_bias}});
    builder.store(name_ + ".reorder_diff_weights_layer", Phase::backward, diff_weights_layer,
                  weights_layer_grad_);
    builder.store(name_ + ".reorder_diff_weights_iter", Phase::backward, diff_weights_iter,
                  weights_iter_grad_);
    if (!input_gradient.wanted) return {};
    if (!input_gradient.into) return diff_src_layer;
    builder.store(name_ + ".reorder_diff_src", Phase::backward, diff_src_layer,
                  input_gradient.into);
    return input_gradient.into;
}

}  // namespace vaednn::detail
