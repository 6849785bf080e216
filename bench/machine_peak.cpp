#include "machine_peak.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <vector>

namespace vaednn::bench {
namespace {

// Twelve independent chains: enough to cover the FMA latency (4 cycles) of both FMA pipes of
// every x86 core seen (2 x 4 = 8 in flight), with room.
template <typename Vec>
[[gnu::always_inline]] inline float fma_chains(long iterations, float seed) {
    Vec a0 = Vec{} + seed, a1 = a0 + 1.0f, a2 = a0 + 2.0f, a3 = a0 + 3.0f, a4 = a0 + 4.0f,
        a5 = a0 + 5.0f, a6 = a0 + 6.0f, a7 = a0 + 7.0f, a8 = a0 + 8.0f, a9 = a0 + 9.0f,
        a10 = a0 + 10.0f, a11 = a0 + 11.0f;
    const Vec b = Vec{} + 0.999999f, c = Vec{} + 1e-7f;
    for (long i = 0; i < iterations; ++i) {
        // Each line contracts to one FMA; the empty asm keeps the twelve chains in registers.
        a0 = a0 * b + c, a1 = a1 * b + c, a2 = a2 * b + c, a3 = a3 * b + c;
        a4 = a4 * b + c, a5 = a5 * b + c, a6 = a6 * b + c, a7 = a7 * b + c;
        a8 = a8 * b + c, a9 = a9 * b + c, a10 = a10 * b + c, a11 = a11 * b + c;
        asm volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
        asm volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
    }
    const Vec sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    return sum[0];
}

using V16 = float __attribute__((vector_size(64)));
using V8 = float __attribute__((vector_size(32)));
using V4 = float __attribute__((vector_size(16)));

[[gnu::target("avx512f")]] float chains_avx512(long n, float s) {
    return fma_chains<V16>(n, s);
}
[[gnu::target("avx2,fma")]] float chains_avx2(long n, float s) {
    return fma_chains<V8>(n, s);
}
float chains_sse(long n, float s) {
    return fma_chains<V4>(n, s);
}

}  // namespace

Fp32Peak measure_fp32_fma_peak(int threads) {
    Fp32Peak peak;
    float (*chains)(long, float) = chains_sse;
    int lanes = 4;
    double flop_per_lane_op = 1.0;  // SSE2 has no FMA: a multiply and an add, two instructions
    peak.isa = "sse2";
    if (__builtin_cpu_supports("avx512f")) {
        chains = chains_avx512, lanes = 16, flop_per_lane_op = 2.0, peak.isa = "avx512f";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        chains = chains_avx2, lanes = 8, flop_per_lane_op = 2.0, peak.isa = "avx2+fma";
    }
    constexpr long kIterations = 20'000'000;
    std::vector<double> rounds;
    float sink = 0.0f;
    for (int round = 0; round < 5; ++round) {
        const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += chains(kIterations, 1e-3f * static_cast<float>(omp_get_thread_num() + 1));
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        rounds.push_back(static_cast<double>(kIterations) * 12.0 * lanes * flop_per_lane_op *
                         threads / seconds * 1e-9);
    }
    std::sort(rounds.begin(), rounds.end());
    peak.gflops = rounds[rounds.size() / 2] + (sink == 12345.0f ? 1e-30 : 0.0);
    return peak;
}

std::string cpu_identity() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::map<std::string, std::string> fields;
    std::string line;
    while (std::getline(cpuinfo, line) && !line.empty()) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        key.erase(key.find_last_not_of(" \t") + 1);
        fields.emplace(key, colon + 2 <= line.size() ? line.substr(colon + 2) : "");
    }
    if (fields.empty()) return "unknown (no /proc/cpuinfo)";
    return fields["vendor_id"] + " family " + fields["cpu family"] + " model " + fields["model"] +
           " (" + fields["model name"] + ")";
}

}  // namespace vaednn::bench
