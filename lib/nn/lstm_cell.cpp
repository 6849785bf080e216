#include "nn/lstm_cell.hpp"

namespace vaednn::detail {

// Each loop runs over the batch's rows on the OpenMP team oneDNN's primitives use (the training
// thread's), and over one row's H contiguous floats with SIMD: a step is 128 x 256 cells at the
// default batch, too little to spread finer.

void lstm_cell_state(float* gates, const float* c_prev, float* c, CellShape shape) {
    const std::size_t H = shape.hidden, G = 4 * H;
    const auto rows = static_cast<long>(shape.batch);
#pragma omp parallel for schedule(static)
    for (long n = 0; n < rows; ++n) {
        const float* i = gates + static_cast<std::size_t>(n) * G;
        const float* f = i + H;
        float* g = gates + static_cast<std::size_t>(n) * G + 2 * H;
        const float* cp = c_prev + static_cast<std::size_t>(n) * H;
        float* cn = c + static_cast<std::size_t>(n) * H;
#pragma omp simd
        for (std::size_t j = 0; j < H; ++j) {
            g[j] = 2.0f * g[j] - 1.0f;
            cn[j] = f[j] * cp[j] + i[j] * g[j];
        }
    }
}

void lstm_hidden_state(const float* gates, const float* tanh_c, float* h, CellShape shape) {
    const std::size_t H = shape.hidden, G = 4 * H;
    const auto rows = static_cast<long>(shape.batch);
#pragma omp parallel for schedule(static)
    for (long n = 0; n < rows; ++n) {
        const float* o = gates + static_cast<std::size_t>(n) * G + 3 * H;
        const float* tc = tanh_c + static_cast<std::size_t>(n) * H;
        float* hn = h + static_cast<std::size_t>(n) * H;
#pragma omp simd
        for (std::size_t j = 0; j < H; ++j) hn[j] = o[j] * tc[j];
    }
}

void lstm_cell_backward(float* gates, const float* tanh_c, const float* c_prev,
                        const float* dh_above, const float* dh_next, float* dc, bool last_step,
                        CellShape shape) {
    const std::size_t H = shape.hidden, G = 4 * H;
    const auto rows = static_cast<long>(shape.batch);
#pragma omp parallel for schedule(static)
    for (long n = 0; n < rows; ++n) {
        const std::size_t row = static_cast<std::size_t>(n) * H;
        float* gi = gates + static_cast<std::size_t>(n) * G;
        float* gf = gi + H;
        float* gg = gi + 2 * H;
        float* go = gi + 3 * H;
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

}  // namespace vaednn::detail
