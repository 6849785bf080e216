#include "nn/lstm_cell.hpp"

#include <cmath>

// glibc's libmvec has vector expf and tanhf for SSE, AVX2 and AVX-512 (_ZGVdN8v_tanhf...), within
// a few ulp. <math.h> declares them only under -ffast-math, which would also let the compiler
// assume there are no NaNs, and the non-finite loss guard needs a NaN to reach the loss; declared
// here, the loops below call them 8 or 16 lanes at a time. Clang maps no libmvec names this way
// and leaves the loop scalar.
#if defined(__GNUC__) && !defined(__clang__)
extern "C" {
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
float tanhf(float) noexcept;
}
#define VAEDNN_VECTOR_MATH_LOOP _Pragma("omp simd")
// One copy per instruction set, chosen at load time: the library is built for baseline x86-64,
// where a vector is 4 floats.
#define VAEDNN_VECTOR_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VAEDNN_VECTOR_MATH_LOOP
#define VAEDNN_VECTOR_CLONES
#endif

namespace vaednn::detail {

namespace {

inline float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

// Row n's four gates, each H floats, in PyTorch's order.
struct GateRow {
    float *i, *f, *g, *o;
};
inline GateRow gate_row(float* gates, long n, std::size_t H) {
    float* i = gates + static_cast<std::size_t>(n) * 4 * H;
    return {i, i + H, i + 2 * H, i + 3 * H};
}

// Each loop runs over the batch's rows on the OpenMP team oneDNN's primitives use (the training
// thread's), and over one row's H contiguous floats with SIMD: a step is 128 x 256 cells at the
// default batch, too little to spread finer.

VAEDNN_VECTOR_CLONES
void cell_forward(float* gates, const float* c_prev, float* c, float* tanh_c, float* h,
                  CellShape shape) {
    const std::size_t H = shape.hidden;
    const auto rows = static_cast<long>(shape.batch);
#pragma omp parallel for schedule(static)
    for (long n = 0; n < rows; ++n) {
        const std::size_t row = static_cast<std::size_t>(n) * H;
        const auto [gi, gf, gg, go] = gate_row(gates, n, H);
        const float* cp = c_prev + row;
        float* cn = c + row;
        float* tc = tanh_c + row;
        float* hn = h + row;
        VAEDNN_VECTOR_MATH_LOOP
        for (std::size_t j = 0; j < H; ++j) {
            const float i = sigmoid(gi[j]), f = sigmoid(gf[j]), g = tanhf(gg[j]),
                        o = sigmoid(go[j]);
            gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o;
            const float cell = f * cp[j] + i * g;
            const float t = tanhf(cell);
            cn[j] = cell;
            tc[j] = t;
            hn[j] = o * t;
        }
    }
}

VAEDNN_VECTOR_CLONES
void cell_backward(float* gates, const float* tanh_c, const float* c_prev, const float* dh_above,
                   const float* dh_next, float* dc, bool last_step, CellShape shape) {
    const std::size_t H = shape.hidden;
    const auto rows = static_cast<long>(shape.batch);
#pragma omp parallel for schedule(static)
    for (long n = 0; n < rows; ++n) {
        const std::size_t row = static_cast<std::size_t>(n) * H;
        const auto [gi, gf, gg, go] = gate_row(gates, n, H);
        const float* tc = tanh_c + row;
        const float* cp = c_prev + row;
        const float* above = dh_above + row;
        const float* next = last_step ? nullptr : dh_next + row;
        float* dcn = dc + row;
#pragma omp simd
        for (std::size_t j = 0; j < H; ++j) {
            const float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[j];
            const float dh = last_step ? above[j] : above[j] + next[j];
            const float dc_next = last_step ? 0.0f : dcn[j];
            // h = o tanh(c), c = f c_prev + i g
            const float d_c = dc_next + dh * o * (1.0f - t * t);
            gi[j] = d_c * g * i * (1.0f - i);
            gf[j] = d_c * cp[j] * f * (1.0f - f);
            gg[j] = d_c * i * (1.0f - g * g);
            go[j] = dh * t * o * (1.0f - o);
            dcn[j] = d_c * f;
        }
    }
}

}  // namespace

// The per-ISA clones stay inside this file: a clone's resolver would otherwise be exported from
// the shared library whatever the visibility preset.
void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* tanh_c, float* h,
                       CellShape shape) {
    cell_forward(gates, c_prev, c, tanh_c, h, shape);
}

void lstm_cell_backward(float* gates, const float* tanh_c, const float* c_prev,
                        const float* dh_above, const float* dh_next, float* dc, bool last_step,
                        CellShape shape) {
    cell_backward(gates, tanh_c, c_prev, dh_above, dh_next, dc, last_step, shape);
}

}  // namespace vaednn::detail
