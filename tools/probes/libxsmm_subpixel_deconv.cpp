// Probe, not part of the build: deconv2's forward (ConvTranspose2d(64, 32, 3, 2, 1, 1), 14 -> 28,
// batch 128) as sub-pixel batch-reduce GEMMs with libxsmm 1.17, channels-last: per output row and
// column residue one kernel call sums the residue's 1, 2 or 4 taps, writing every other pixel of
// the row (ldc = 2 x 32), so no interleave copy; then bias and ReLU over the row while it is in
// cache. The input is copied once into a zero-padded 15 x 15. Checked against the definition on
// every 17th image. Compare with `bench_vae --threads=2
// --benchmark_filter='^deconv_forward_algorithms/deconv2'` in the same window.
//   g++ -O2 -march=native -std=c++20 -fopenmp libxsmm_subpixel_deconv.cpp -o subpixel_deconv \
//       -lxsmm -lxsmmnoblas -lpthread -lrt -ldl -lm && OMP_NUM_THREADS=2 ./subpixel_deconv
// NORELU=1 leaves the bias and ReLU pass out (its result is then wrong: the GEMMs' time alone).
#include <libxsmm.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "probe_timing.hpp"
constexpr int N = 128, C = 64, K = 32, S = 14, O = 28, P = 15;
int main() {
    libxsmm_init();
    std::vector<float> x((size_t)N * S * S * C), w(C * K * 9), bias(K),
        xp((size_t)N * P * P * C, 0.f), y((size_t)N * O * O * K), ref((size_t)N * O * O * K, 0.f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(i * 0.37f);
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(i * 0.11f) * 0.1f;
    for (int k = 0; k < K; ++k) bias[k] = 0.01f * k - 0.1f;
    // per-tap A matrices: At[ky][kx][ic][oc]
    std::vector<float> At(9 * C * K);
    for (int ic = 0; ic < C; ++ic)
        for (int oc = 0; oc < K; ++oc)
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx)
                    At[((ky * 3 + kx) * C + ic) * K + oc] = w[((ic * K + oc) * 3 + ky) * 3 + kx];
    // reference (direct scatter), nhwc
    for (int n = 0; n < N; n += 17)
        for (int i = 0; i < S; ++i)
            for (int j = 0; j < S; ++j)
                for (int ky = 0; ky < 3; ++ky)
                    for (int kx = 0; kx < 3; ++kx) {
                        int yy = 2 * i - 1 + ky, xx = 2 * j - 1 + kx;
                        if (yy < 0 || yy >= O || xx < 0 || xx >= O) continue;
                        for (int oc = 0; oc < K; ++oc) {
                            double s = 0;
                            for (int ic = 0; ic < C; ++ic)
                                s += x[(((size_t)n * S + i) * S + j) * C + ic] *
                                     w[((ic * K + oc) * 3 + ky) * 3 + kx];
                            ref[(((size_t)n * O + yy) * O + xx) * K + oc] += s;
                        }
                    }
    struct Tap {
        int k, d;
    };  // kernel index, input offset
    std::vector<Tap> taps[2] = {{{1, 0}}, {{0, 1}, {2, 0}}};
    const libxsmm_blasint m = K, nn = S, kk = C, lda = K, ldb = C, ldc = 2 * K;
    const float alpha = 1, beta = 0;
    auto kernel = libxsmm_smmdispatch_reducebatch_addr(m, nn, kk, &lda, &ldb, &ldc, &alpha, &beta,
                                                       nullptr, nullptr);
    if (!kernel) {
        std::puts("no kernel");
        return 1;
    }
    auto run = [&] {
#pragma omp parallel
        {
#pragma omp for schedule(static)
            for (int n = 0; n < N; ++n) {  // pad: 15x15 with zero last row/col
                float* dst = xp.data() + (size_t)n * P * P * C;
                for (int i = 0; i < S; ++i)
                    std::copy_n(x.data() + ((size_t)n * S + i) * S * C, S * C,
                                dst + (size_t)i * P * C);
            }
#pragma omp for schedule(static)
            for (int task = 0; task < N * S; ++task) {
                const int n = task / S, mrow = task % S;
                const float* As[4];
                const float* Bs[4];
                for (int ry = 0; ry < 2; ++ry) {
                    float* row = y.data() + (((size_t)n * O + 2 * mrow + ry) * O) * K;
                    for (int rx = 0; rx < 2; ++rx) {
                        unsigned long long count = 0;
                        for (Tap ty : taps[ry])
                            for (Tap tx : taps[rx]) {
                                As[count] = At.data() + (size_t)(ty.k * 3 + tx.k) * C * K;
                                Bs[count] =
                                    xp.data() + (((size_t)n * P + mrow + ty.d) * P + tx.d) * C;
                                ++count;
                            }
                        kernel(As, Bs, row + rx * K, &count);
                    }
                    if (getenv("NORELU")) continue;
                    for (int p = 0; p < O; ++p)
                        for (int oc = 0; oc < K; ++oc) {
                            float& v = row[p * K + oc];
                            v = std::max(v + bias[oc], 0.f);
                        }
                }
            }
        }
    };
    run();
    double err = 0, mx = 0;
    for (int n = 0; n < N; n += 17)
        for (int p = 0; p < O * O; ++p)
            for (int oc = 0; oc < K; ++oc) {
                size_t i = ((size_t)n * O * O + p) * K + oc;
                double r = std::max(ref[i] + bias[oc], 0.f);
                err = std::max(err, std::fabs(r - y[i]));
                mx = std::max(mx, std::fabs(r));
            }
    const double flop = 2.0 * N * S * S * C * K * 9;
    double t = median_ms(run);
    std::printf("xsmm subpixel deconv2: %.2f ms %.1f GFLOP/s, max err %.2g of %.2g\n", t,
                flop / t / 1e6, err, mx);
}
