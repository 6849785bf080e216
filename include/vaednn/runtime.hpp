// Facts about the machine and the libraries the engine runs on, for start-up tables and reports.
#pragma once

#include <string>

#include "vaednn/export.hpp"

namespace vaednn {

struct RuntimeInfo {
    std::string onednn_version;  // e.g. "2.6.3"
    std::string cpu_isa;       // the instruction set oneDNN dispatches to, e.g. "avx512_core_bf16"
    std::string cpu_model;     // from /proc/cpuinfo, where available
    int hardware_threads = 0;  // what the machine offers
    int max_threads = 0;       // what the compute thread pool will use
};

VAEDNN_EXPORT RuntimeInfo runtime_info();

// Sets how many threads every compute pool uses (oneDNN's OpenMP team and oneTBB), and turns on
// flush-to-zero / denormals-are-zero for them. Returns the number actually in force.
// Throws ConfigError when threads < 1.
VAEDNN_EXPORT int set_compute_threads(int threads);
// The number of threads the compute pools use now.
VAEDNN_EXPORT int compute_threads();

}  // namespace vaednn
