// Probe, not part of the build: the LSTM's recurrent GEMM of one pass, 28 steps of
// gates[128 x 1024] += h[128 x 256] W_hh[256 x 1024] (row-major), as the fused kernel runs it (a
// oneDNN 1x1 convolution over weights blocked once) against libxsmm 1.17's JIT small-GEMM kernels
// over tiles of W_hh, plain (lda 1024) or packed tile by tile. Debian: libxsmm-dev, libdnnl-dev.
//   g++ -O2 -std=c++20 -fopenmp libxsmm_recurrent_gemm.cpp -o recurrent_gemm -ldnnl \
//       -lxsmm -lxsmmnoblas -lpthread -lrt -ldl -lm && OMP_NUM_THREADS=2 ./recurrent_gemm
// Prints the median of 30 passes per variant and the largest difference from oneDNN's result
// (tile widths that do not divide 1024 leave columns out, hence their error).
#include <libxsmm.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <dnnl.hpp>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
constexpr int N = 128, K = 256, M = 1024, T = 28;
int main(int argc, char** argv) {
    libxsmm_init();
    std::vector<float> h(N * K), w(K * M), g(N * M), ref(N * M);
    for (size_t i = 0; i < h.size(); ++i) h[i] = std::sin(i * 0.37f) * 0.5f;
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(i * 0.11f) * 0.1f;
    const double flop = 2.0 * N * K * M * T;
    // oneDNN 1x1 conv as lstm_fused does
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    memory::desc src({1, K, 1, N}, memory::data_type::f32, memory::format_tag::nhwc);
    memory::desc dst({1, M, 1, N}, memory::data_type::f32, memory::format_tag::nhwc);
    memory::desc wany({M, K, 1, 1}, memory::data_type::f32, memory::format_tag::any);
    primitive_attr attr;
    post_ops ops;
    ops.append_sum(1.f);
    attr.set_post_ops(ops);
    convolution_forward::primitive_desc pd({prop_kind::forward_inference,
                                            algorithm::convolution_direct,
                                            src,
                                            wany,
                                            dst,
                                            {1, 1},
                                            {0, 0},
                                            {0, 0}},
                                           attr, eng);
    memory wsrc(
        memory::desc({M, K, 1, 1}, memory::data_type::f32, memory::dims{1, M, M * K, M * K}), eng,
        w.data());
    memory wb(pd.weights_desc(), eng);
    reorder(wsrc, wb).execute(s, wsrc, wb);
    memory ms(src, eng, h.data()), md(dst, eng, ref.data());
    convolution_forward conv(pd);
    std::fill(ref.begin(), ref.end(), 0.f);
    conv.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DST, md}});
    s.wait();
    double t_dnnl = median_ms([&] {
        for (int t = 0; t < T; ++t)
            conv.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DST, md}});
        s.wait();
    });
    std::printf("onednn %s: %.2f ms %.1f GFLOP/s\n", pd.impl_info_str(), t_dnnl,
                flop / t_dnnl / 1e6);
    // correct reference for one step
    std::vector<float> one(N * M, 0.f);
    {
        memory m1(dst, eng, one.data());
        conv.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DST, m1}});
        s.wait();
    }
    int mbs[] = {16, 24, 32, 64};
    int nbs[] = {4, 8, 16, 32, 64, 128};
    for (int packed = 0; packed < 2; ++packed)
        for (int mb : mbs)
            for (int nb : nbs) {
                // col-major: C'(M x N, ldc M) += A'(M x K) B'(K x N, ldb K); A' = w as col-major
                // (lda M) or packed [M/mb][K][mb]
                std::vector<float> wp(K * M);
                for (int b = 0; b < M / mb; ++b)
                    for (int k = 0; k < K; ++k)
                        for (int i = 0; i < mb; ++i)
                            wp[(size_t)b * K * mb + k * mb + i] = w[(size_t)k * M + b * mb + i];
                const libxsmm_blasint lda = packed ? mb : M, ldb = K, ldc = M;
                const float alpha = 1, beta = 1;
                libxsmm_smmfunction f = libxsmm_smmdispatch(mb, nb, K, &lda, &ldb, &ldc, &alpha,
                                                            &beta, nullptr, nullptr);
                if (!f) {
                    std::printf("no kernel mb %d nb %d\n", mb, nb);
                    continue;
                }
                const float* A = packed ? wp.data() : w.data();
                auto step = [&](float* C) {
#pragma omp parallel for schedule(static) collapse(2)
                    for (int b = 0; b < M / mb; ++b)
                        for (int n0 = 0; n0 < N; n0 += nb)
                            f(A + (packed ? (size_t)b * K * mb : (size_t)b * mb),
                              h.data() + (size_t)n0 * K, C + (size_t)n0 * M + b * mb);
                };
                std::vector<float> c1(N * M, 0.f);
                step(c1.data());
                double err = 0;
                for (size_t i = 0; i < c1.size(); ++i)
                    err = std::max(err, (double)std::fabs(c1[i] - one[i]));
                double t = median_ms([&] {
                    for (int s2 = 0; s2 < T; ++s2) step(g.data());
                });
                std::printf("xsmm packed=%d mb %2d nb %3d: %.2f ms %.1f GFLOP/s err %.2g\n", packed,
                            mb, nb, t, flop / t / 1e6, err);
            }
}
