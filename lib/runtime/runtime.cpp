#include "vaednn/runtime.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <tbb/global_control.h>
#include <xmmintrin.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <thread>

#include "runtime/denormals.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

std::string isa_name(dnnl::cpu_isa isa) {
    switch (isa) {
        case dnnl::cpu_isa::sse41:
            return "sse41";
        case dnnl::cpu_isa::avx:
            return "avx";
        case dnnl::cpu_isa::avx2:
            return "avx2";
        case dnnl::cpu_isa::avx2_vnni:
            return "avx2_vnni";
        case dnnl::cpu_isa::avx512_mic:
            return "avx512_mic";
        case dnnl::cpu_isa::avx512_mic_4ops:
            return "avx512_mic_4ops";
        case dnnl::cpu_isa::avx512_core:
            return "avx512_core";
        case dnnl::cpu_isa::avx512_core_vnni:
            return "avx512_core_vnni";
        case dnnl::cpu_isa::avx512_core_bf16:
            return "avx512_core_bf16";
        case dnnl::cpu_isa::avx512_core_amx:
            return "avx512_core_amx";
        default:
            return "unknown";
    }
}

std::string cpu_model_name() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                const auto start = line.find_first_not_of(' ', colon + 1);
                return start == std::string::npos ? std::string{} : line.substr(start);
            }
        }
    }
    return "unknown";
}

// Denormals in LSTM gates can make training many times slower; every thread that computes
// flushes them to zero.
// (The _MM_SET_*_MODE macros trip -Wsign-conversion, so the MXCSR bits are set directly.)
constexpr unsigned kMxcsrFlushToZero = 1u << 15;
constexpr unsigned kMxcsrDenormalsAreZero = 1u << 6;

void enable_flush_to_zero() {
    _mm_setcsr(_mm_getcsr() | kMxcsrFlushToZero | kMxcsrDenormalsAreZero);
}

std::mutex g_tbb_control_mutex;
std::unique_ptr<tbb::global_control> g_tbb_control;

}  // namespace

RuntimeInfo runtime_info() {
    const dnnl_version_t* v = dnnl_version();
    RuntimeInfo info;
    info.onednn_version = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
    info.cpu_isa = isa_name(dnnl::get_effective_cpu_isa());
    info.cpu_model = cpu_model_name();
    info.hardware_threads = static_cast<int>(std::thread::hardware_concurrency());
    info.max_threads = omp_get_max_threads();
    return info;
}

int set_compute_threads(int threads) {
    if (threads < 1) {
        throw ConfigError(fmt::format("thread count must be at least 1, got {}", threads));
    }
    // oneDNN (Debian's build) runs on OpenMP: the team size is per calling thread, so this must
    // be called from the thread that will run the primitives.
    omp_set_num_threads(threads);
    {
        std::lock_guard lock(g_tbb_control_mutex);
        g_tbb_control = std::make_unique<tbb::global_control>(
            tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    }
    detail::enable_flush_to_zero_for_team();
    return omp_get_max_threads();
}

int compute_threads() {
    return omp_get_max_threads();
}

namespace detail {

void enable_flush_to_zero_for_team() {
    enable_flush_to_zero();
    // libgomp keeps its worker threads, so their MXCSR setting lasts.
#pragma omp parallel
    enable_flush_to_zero();
}

}  // namespace detail

}  // namespace vaednn
