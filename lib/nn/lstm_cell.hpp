// The element-wise parts of one LSTM step, between its GEMMs (LstmKernel::fused). A step's gates
// are `batch` rows of 4H floats, in PyTorch's order i, f, g, o.
#pragma once

#include <cstddef>

namespace vaednn::detail {

struct CellShape {
    std::size_t batch;
    std::size_t hidden;
};

// One step forward, in one pass over the step's rows: the gates' pre-activations (projection plus
// recurrent GEMM) become sigmoid(i), sigmoid(f), tanh(g), sigmoid(o) in place, as backward reads
// them, then c_t = f c_(t-1) + i g, tanh(c_t) and h_t = o tanh(c_t). `c_prev` may be `c` (an
// inference graph keeps one cell state).
void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* tanh_c, float* h,
                       CellShape shape);

// One step of backward. In: the step's activated gates, tanh(c_t), c_(t-1), the gradient of h_t
// from above (`dh_above`) and from step t + 1 (`dh_next`, null for the last step), and in `dc`
// the gradient of c_t from step t + 1 (ignored for the last step). Out: `gates` holds the
// gradients of the gates' pre-activations, `dc` the gradient of c_(t-1).
void lstm_cell_backward(float* gates, const float* tanh_c, const float* c_prev,
                        const float* dh_above, const float* dh_next, float* dc, bool last_step,
                        CellShape shape);

}  // namespace vaednn::detail
