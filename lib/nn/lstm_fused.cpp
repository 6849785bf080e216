// The LSTM as GEMMs (LstmKernel::fused), where oneDNN 2.6.3's f32 training driver is a reference
// loop (docs/PERFORMANCE.md measures both):
//   forward   XG = X W_ih + b                      one GEMM over all T steps
//             for t: G_t = XG_t + h_(t-1) W_hh     one GEMM accumulating in place (beta = 1;
//                                                  none for t = 1, as h_0 = 0)
//                    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of G_t (in place)
//                    c_t = f c_(t-1) + i g;  h_t = o tanh(c_t)      one pass (lstm_cell.cpp)
//   backward  for t from T: dG_t from the cell (in place over gates_t); dh_(t-1) = dG_t W_hh^T
//             dW_hh = H_prev^T dG, dW_ih = X^T dG, db = 1^T dG, dX = dG W_ih^T: one GEMM each
//             over all steps (the first two as 1x1 convolutions, below).
// The two recurrent GEMMs of a step, h_(t-1) W_hh and dG_t W_hh^T, are 1x1 convolutions over a
// row of N "pixels" (the batch as the width, channels last, so the rows of h and G are the
// pixels as they lie): oneDNN 2.6 on AVX2 runs a matmul through sgemm, which packs W_hh again at
// every call, while the 1x1 convolution's JIT kernel reads weights blocked once per pass (one
// reorder before the 28 steps) and ran the forward step 2.2x faster (docs/PERFORMANCE.md). The
// GEMMs over all steps keep the weights row-major [I, 4H] and [H, 4H], reading their transposes
// as strided views. What backward needs is 4H + 3H floats per cell (gates, c, tanh c, h),
// against oneDNN's workspace and backward scratchpad.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "nn/lstm.hpp"
#include "nn/lstm_cell.hpp"

namespace vaednn::detail {

namespace {

constexpr int kGates = 4;

float* data_of(const memory& m) {
    return static_cast<float*>(m.get_data_handle());
}

// A row-major {rows, cols} matrix whose rows are `row_stride` floats apart.
memory::desc matrix(memory::dim rows, memory::dim cols, memory::dim row_stride) {
    return memory::desc({rows, cols}, f32, memory::dims{row_stride, 1});
}
// The transpose of a row-major {cols, rows} matrix whose rows are `row_stride` floats apart.
memory::desc transposed(memory::dim rows, memory::dim cols, memory::dim row_stride) {
    return memory::desc({rows, cols}, f32, memory::dims{1, row_stride});
}

std::size_t bytes(memory::dim floats) {
    return static_cast<std::size_t>(floats) * sizeof(float);
}

// A row-major [K, M] matrix seen as a 1x1 convolution's weights {M, K, 1, 1} (output channel j
// reads column j), for the reorder that blocks it.
memory::desc as_convolution_weights(memory::dim k, memory::dim m) {
    return memory::desc({m, k, 1, 1}, f32, memory::dims{1, m, m * k, m * k});
}

// A recurrent GEMM, rows [N, K] times [K, M], as a 1x1 convolution with K input and M output
// channels over N pixels, channels last: its source and destination are the row-major matrices.
memory::desc pixels(memory::dim n, memory::dim channels) {
    return memory::desc({1, channels, 1, n}, f32, memory::format_tag::nhwc);
}

// The forward step adds h_(t-1) W_hh to the step's projection already in its destination: a sum
// post-op of scale 1, which the convolution applies as it writes.
dnnl::convolution_forward::primitive_desc recurrent_gemm(memory::dim n, memory::dim k,
                                                         memory::dim m, bool accumulate,
                                                         const dnnl::engine& engine) {
    dnnl::primitive_attr attr = GraphBuilder::attributes();
    if (accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
    }
    const memory::desc blocked_weights({m, k, 1, 1}, f32, memory::format_tag::any);
    return {{dnnl::prop_kind::forward_inference,
             dnnl::algorithm::convolution_direct,
             pixels(n, k),
             blocked_weights,
             pixels(n, m),
             {1, 1},
             {0, 0},
             {0, 0}},
            attr,
            engine};
}

// A weight gradient over every step, C [M, 4H] = A^T dG with A [T N, M] and dG [T N, 4H], as a
// 1x1 convolution: dG's 4H columns are its pixels, its T N rows the input channels, A's M columns
// the output channels. oneDNN 2.6 on AVX2 runs the matmul through sgemm at ~50 GFLOP/s for this
// shape (K = 3584), its 1x1 convolution at ~80 (docs/PERFORMANCE.md); both need dG blocked, one
// reorder shared by dW_hh and dW_ih.
dnnl::convolution_forward::primitive_desc weight_gradient_gemm(memory::dim rows, memory::dim m,
                                                               memory::dim pixels,
                                                               const dnnl::engine& engine) {
    return {{dnnl::prop_kind::forward_inference,
             dnnl::algorithm::convolution_direct,
             memory::desc({1, rows, 1, pixels}, f32, memory::format_tag::any),
             memory::desc({m, rows, 1, 1}, f32, memory::format_tag::any),
             memory::desc({1, m, 1, pixels}, f32, memory::format_tag::any),
             {1, 1},
             {0, 0},
             {0, 0}},
            GraphBuilder::attributes(),
            engine};
}

// oneDNN falls back to its reference loops (seconds per call) for shapes its JIT kernels lack.
bool is_jit(const dnnl::primitive_desc_base& pd) {
    return !std::string_view(pd.impl_info_str()).starts_with("ref");
}

// The nodes of one recurrence, built once and run as one node of the graph that holds them: the
// graph's timing and reports see the layer, not 28 steps of it.
struct Recurrence {
    Graph steps;
    dnnl::stream stream;
    std::vector<memory> scratchpads;

    // A primitive of the recurrence: created once, run at every step with that step's views.
    struct Op {
        dnnl::primitive primitive;
        std::string implementation;
        memory scratchpad;
    };
    Op op(GraphBuilder& builder, const dnnl::primitive_desc_base& pd) {
        Op result{dnnl::primitive(pd.get()), pd.impl_info_str(), {}};
        count_primitive_creation();
        if (pd.scratchpad_desc().get_size() > 0) {
            result.scratchpad = builder.make(pd.scratchpad_desc());
            scratchpads.push_back(result.scratchpad);
        }
        return result;
    }
    void run(const std::string& name, Phase phase, const Op& op,
             std::unordered_map<int, memory> args) {
        if (op.scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, op.scratchpad);
        steps.add_primitive(name, phase, op.primitive, args, op.implementation);
    }
};

}  // namespace

Lstm::Tape Lstm::fused_forward(GraphBuilder& builder, const memory& src_layer, Pass pass) const {
    const memory::dim T = steps_, N = dim_of(src_layer, 1), I = input_, H = hidden_,
                      G = kGates * hidden_;
    const bool training = pass == Pass::training;
    const CellShape cell{static_cast<std::size_t>(N), static_cast<std::size_t>(H)};

    Tape tape;
    tape.src_layer = src_layer;
    tape.gates = builder.make(plain_desc({T, N, G}, Tag::abc));
    tape.hidden_states = builder.make(plain_desc({T + 1, N, H}, Tag::tnc));
    tape.cells = builder.make(plain_desc({training ? T + 1 : 1, N, H}, Tag::tnc));
    tape.tanh_cells = builder.make(plain_desc({training ? T : 1, N, H}, Tag::tnc));
    tape.dst_layer =
        builder.view(tape.hidden_states, plain_desc({T, N, H}, Tag::tnc), bytes(N * H));

    // XG = X W_ih + b_ih + b_hh, every step at once: a 1x1 convolution over the T N rows of X as
    // pixels (0.75x the matmul's time here), a matmul where this CPU has no JIT kernel for it.
    const memory bias = builder.view(bias_sum_, plain_desc({G}, Tag::a));
    const dnnl::convolution_forward::primitive_desc projection(
        {dnnl::prop_kind::forward_inference,
         dnnl::algorithm::convolution_direct,
         pixels(T * N, I),
         memory::desc({G, I, 1, 1}, f32, memory::format_tag::any),
         bias.get_desc(),
         pixels(T * N, G),
         {1, 1},
         {0, 0},
         {0, 0}},
        GraphBuilder::attributes(), builder.engine());
    if (is_jit(projection)) {
        const memory w_ih_blocked = builder.make(projection.weights_desc());
        builder.reorder(name_ + ".block_weights_layer", Phase::forward,
                        builder.view(weights_layer_, as_convolution_weights(I, G)), w_ih_blocked);
        builder.add(name_ + ".forward_projection", Phase::forward, projection,
                    {{DNNL_ARG_SRC, builder.view(src_layer, pixels(T * N, I))},
                     {DNNL_ARG_WEIGHTS, w_ih_blocked},
                     {DNNL_ARG_BIAS, bias},
                     {DNNL_ARG_DST, builder.view(tape.gates, pixels(T * N, G))}});
    } else {
        const memory x = builder.view(src_layer, matrix(T * N, I, I));
        const memory xg = builder.view(tape.gates, matrix(T * N, G, G));
        const memory w_ih = builder.view(weights_layer_, matrix(I, G, G));
        const memory bias_row = builder.view(bias_sum_, matrix(1, G, G));
        const dnnl::matmul::primitive_desc matmul(
            dnnl::matmul::desc(x.get_desc(), w_ih.get_desc(), bias_row.get_desc(), xg.get_desc()),
            GraphBuilder::attributes(), builder.engine());
        builder.add(name_ + ".forward_projection", Phase::forward, matmul,
                    {{DNNL_ARG_SRC, x},
                     {DNNL_ARG_WEIGHTS, w_ih},
                     {DNNL_ARG_BIAS, bias_row},
                     {DNNL_ARG_DST, xg}});
    }

    // A step is the recurrent GEMM, then the cell. The GEMM's weights, W_hh^T as the
    // convolution's [4H, H] (output, input channels), are blocked once per pass.
    auto loop = std::make_shared<Recurrence>();
    loop->stream = dnnl::stream(builder.engine());
    const auto gemm_pd = recurrent_gemm(N, H, G, true, builder.engine());
    const Recurrence::Op recurrent = loop->op(builder, gemm_pd);
    const memory w_hh_blocked = builder.make(gemm_pd.weights_desc());
    builder.reorder(name_ + ".block_weights_iter", Phase::forward,
                    builder.view(weights_iter_, as_convolution_weights(H, G)), w_hh_blocked);

    for (memory::dim t = 1; t <= T; ++t) {
        // Step t reads h_(t-1) (row t - 1) and writes h_t (row t); an inference graph keeps one
        // cell state, updated in place.
        const memory h_prev =
            builder.view(tape.hidden_states, matrix(N, H, H), bytes((t - 1) * N * H));
        const memory h = builder.view(tape.hidden_states, matrix(N, H, H), bytes(t * N * H));
        const memory gates = builder.view(tape.gates, matrix(N, G, G), bytes((t - 1) * N * G));
        const memory c_prev =
            builder.view(tape.cells, matrix(N, H, H), training ? bytes((t - 1) * N * H) : 0);
        const memory c = builder.view(tape.cells, matrix(N, H, H), training ? bytes(t * N * H) : 0);
        const memory tanh_c =
            builder.view(tape.tanh_cells, matrix(N, H, H), training ? bytes((t - 1) * N * H) : 0);
        if (t > 1) {  // h_0 = 0: the first step's gates are its projection alone
            loop->run(name_ + ".gates", Phase::forward, recurrent,
                      {{DNNL_ARG_SRC, builder.view(h_prev, pixels(N, H))},
                       {DNNL_ARG_WEIGHTS, w_hh_blocked},
                       {DNNL_ARG_DST, builder.view(gates, pixels(N, G))}});
        }
        loop->steps.add_kernel(name_ + ".cell", Phase::forward,
                               [gates, c_prev, c, tanh_c, h, cell] {
                                   lstm_cell_forward(data_of(gates), data_of(c_prev), data_of(c),
                                                     data_of(tanh_c), data_of(h), cell);
                               });
    }

    std::vector<memory> touched = {tape.gates, tape.hidden_states, tape.cells, tape.tanh_cells,
                                   w_hh_blocked};
    touched.insert(touched.end(), loop->scratchpads.begin(), loop->scratchpads.end());
    const std::size_t state_bytes = bytes(N * H);
    builder.add_kernel(name_ + ".forward", Phase::forward, touched,
                       [loop, h0 = tape.hidden_states, c0 = tape.cells, state_bytes] {
                           // h_0 = c_0 = 0: their rows share bytes with other tensors between runs.
                           std::memset(h0.get_data_handle(), 0, state_bytes);
                           std::memset(c0.get_data_handle(), 0, state_bytes);
                           loop->steps.run(loop->stream);
                       });
    return tape;
}

memory Lstm::fused_backward(GraphBuilder& builder, const Tape& tape, const memory& diff_dst_layer,
                            const InputGradient& input_gradient) const {
    const memory::dim T = steps_, N = dim_of(tape.src_layer, 1), I = input_, H = hidden_,
                      G = kGates * hidden_;
    const CellShape cell{static_cast<std::size_t>(N), static_cast<std::size_t>(H)};
    const memory dh_next = builder.make(matrix(N, H, H));
    const memory dc = builder.make(matrix(N, H, H));

    // dh_(t-1) = dG_t W_hh^T: the convolution's [H, 4H] weights are W_hh as it lies, blocked once.
    auto loop = std::make_shared<Recurrence>();
    loop->stream = dnnl::stream(builder.engine());
    const auto gemm_pd = recurrent_gemm(N, G, H, false, builder.engine());
    const Recurrence::Op recurrent = loop->op(builder, gemm_pd);
    const memory w_hh_blocked = builder.make(gemm_pd.weights_desc());
    builder.reorder(name_ + ".block_weights_iter_t", Phase::backward,
                    builder.view(weights_iter_, plain_desc({H, G, 1, 1}, Tag::oihw)), w_hh_blocked);
    for (memory::dim t = T; t >= 1; --t) {
        const memory gates = builder.view(tape.gates, matrix(N, G, G), bytes((t - 1) * N * G));
        const std::size_t state_at = bytes((t - 1) * N * H);
        const memory tanh_c = builder.view(tape.tanh_cells, matrix(N, H, H), state_at);
        const memory c_prev = builder.view(tape.cells, matrix(N, H, H), state_at);
        const memory dh_above = builder.view(diff_dst_layer, matrix(N, H, H), state_at);
        const bool last_step = t == T;
        loop->steps.add_kernel(name_ + ".cell_backward", Phase::backward,
                               [gates, tanh_c, c_prev, dh_above, dh_next, dc, last_step, cell] {
                                   lstm_cell_backward(data_of(gates), data_of(tanh_c),
                                                      data_of(c_prev), data_of(dh_above),
                                                      data_of(dh_next), data_of(dc), last_step,
                                                      cell);
                               });
        if (t > 1) {
            loop->run(name_ + ".hidden_backward", Phase::backward, recurrent,
                      {{DNNL_ARG_SRC, builder.view(gates, pixels(N, G))},
                       {DNNL_ARG_WEIGHTS, w_hh_blocked},
                       {DNNL_ARG_DST, builder.view(dh_next, pixels(N, H))}});
        }
    }
    std::vector<memory> touched = {tape.gates, tape.tanh_cells, tape.cells, diff_dst_layer, dh_next,
                                   dc,         w_hh_blocked};
    touched.insert(touched.end(), loop->scratchpads.begin(), loop->scratchpads.end());
    builder.add_kernel(name_ + ".backward", Phase::backward, touched,
                       [loop] { loop->steps.run(loop->stream); });

    // Every step's gate gradients, dG {T N, 4H}, give the weights' gradients in one GEMM each.
    const memory d_gates = builder.view(tape.gates, matrix(T * N, G, G));
    const auto gemm = [&](const std::string& name, const memory& a, const memory& b,
                          const memory& c) {
        const dnnl::matmul::primitive_desc pd(
            dnnl::matmul::desc(a.get_desc(), b.get_desc(), c.get_desc()),
            GraphBuilder::attributes(), builder.engine());
        builder.add(name_ + "." + name, Phase::backward, pd,
                    {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    };
    // dW_hh [H, 4H] = H_prev^T dG, H_prev = h_0 .. h_(T-1) (rows 0 .. T-1 of the hidden states),
    // and dW_ih [I, 4H] = X^T dG: 1x1 convolutions reading dG blocked once, matmuls where this CPU
    // has no JIT kernel for them.
    const auto dw_hh = weight_gradient_gemm(T * N, H, G, builder.engine());
    const auto dw_ih = weight_gradient_gemm(T * N, I, G, builder.engine());
    if (is_jit(dw_hh) && is_jit(dw_ih) && dw_hh.src_desc() == dw_ih.src_desc()) {
        const memory d_gates_blocked = builder.make(dw_hh.src_desc());
        builder.reorder(name_ + ".block_d_gates", Phase::backward,
                        builder.view(tape.gates, plain_desc({1, T * N, 1, G}, Tag::nchw)),
                        d_gates_blocked);
        const auto convolution = [&](const std::string& name, const std::string& rows_name,
                                     const dnnl::convolution_forward::primitive_desc& pd,
                                     const memory& rows, memory::dim m, const memory& gradient) {
            const memory weights = builder.make(pd.weights_desc());
            builder.reorder(name_ + ".block_" + rows_name, Phase::backward,
                            builder.view(rows, as_convolution_weights(T * N, m)), weights);
            const memory target = builder.view(gradient, plain_desc({1, m, 1, G}, Tag::nchw));
            const memory written = builder.output_for(target, pd.dst_desc());
            builder.add(name_ + ".backward_weights_" + name, Phase::backward, pd,
                        {{DNNL_ARG_SRC, d_gates_blocked},
                         {DNNL_ARG_WEIGHTS, weights},
                         {DNNL_ARG_DST, written}});
            builder.store(name_ + ".store_weights_" + name + "_grad", Phase::backward, written,
                          target);
        };
        convolution("iter", "hidden_states", dw_hh, tape.hidden_states, H, weights_iter_grad_);
        convolution("layer", "inputs", dw_ih, tape.src_layer, I, weights_layer_grad_);
    } else {
        gemm("backward_weights_iter", builder.view(tape.hidden_states, transposed(H, T * N, H)),
             d_gates, builder.view(weights_iter_grad_, matrix(H, G, G)));
        gemm("backward_weights_layer", builder.view(tape.src_layer, transposed(I, T * N, I)),
             d_gates, builder.view(weights_layer_grad_, matrix(I, G, G)));
    }
    // db [4H] = 1^T dG, the column sums of dG (oneDNN 2.6's reduction has no AVX2 kernel; a GEMV
    // runs at memory speed).
    const memory ones = builder.make_persistent(matrix(1, T * N, T * N));
    std::fill_n(data_of(ones), static_cast<std::size_t>(T * N), 1.0f);
    gemm("backward_bias", ones, d_gates, builder.view(bias_ih_grad_, matrix(1, G, G)));

    if (!input_gradient.wanted) return {};
    // dX {T, N, I} = dG W_ih^T
    const memory::desc tnc = plain_desc({T, N, I}, Tag::tnc);
    const memory diff_src =
        input_gradient.into ? builder.output_for(input_gradient.into, tnc) : builder.make(tnc);
    gemm("backward_data", d_gates, builder.view(weights_layer_, transposed(G, I, G)),
         builder.view(diff_src, matrix(T * N, I, I)));
    if (!input_gradient.into) return diff_src;
    builder.store(name_ + ".reorder_diff_src", Phase::backward, diff_src, input_gradient.into);
    return input_gradient.into;
}

}  // namespace vaednn::detail
