// What the machine can do, measured in the benchmark's own run, so every figure can be given as a
// share of it: the FP32 FMA peak of `threads` threads (a loop of independent FMAs on registers,
// in the widest vectors the CPU has), and the CPU's name as /proc/cpuinfo gives it.
#pragma once

#include <string>

namespace vaednn::bench {

struct Fp32Peak {
    double gflops = 0.0;  // the median of several rounds, all threads together
    std::string isa;      // the vectors it used: "avx512f", "avx2+fma", "sse2"
};
Fp32Peak measure_fp32_fma_peak(int threads);

// "AuthenticAMD family 25 model 1 (AMD EPYC 7B13)", or what of it /proc/cpuinfo says.
std::string cpu_identity();

}  // namespace vaednn::bench
