// A training step allocates no memory of ours and creates no primitive once its graph exists.
//
// Every allocation in the process goes through the malloc family, interposed below; operator new
// calls malloc, and so do oneDNN and libgomp. Each allocation during a step is attributed by its
// call stack: one with a frame inside libdnnl is oneDNN's own (its gemm allocates per-thread
// packing buffers on every call, which its 2.6 API offers no way to avoid); any other is ours and
// fails the test. This file is its own test executable so the interposition touches nothing else.
#include <dlfcn.h>
#include <execinfo.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "engine/graph.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

struct Counter {
    std::atomic<long> calls{0}, bytes{0}, largest{0};
    void add(std::size_t n) {
        ++calls;
        bytes += static_cast<long>(n);
        long seen = largest.load();
        while (static_cast<long>(n) > seen &&
               !largest.compare_exchange_weak(seen, static_cast<long>(n))) {
        }
    }
    void reset() { calls = 0, bytes = 0, largest = 0; }
};

std::atomic<bool> g_counting{false};
Counter g_ours, g_onednn;
thread_local bool t_inside = false;

bool called_from_onednn() {
    void* frames[48];
    const int n = backtrace(frames, 48);
    for (int i = 0; i < n; ++i) {
        Dl_info info{};
        if (dladdr(frames[i], &info) != 0 && info.dli_fname != nullptr &&
            std::strstr(info.dli_fname, "libdnnl") != nullptr) {
            return true;
        }
    }
    return false;
}

void record(std::size_t bytes) {
    if (!g_counting.load(std::memory_order_relaxed) || t_inside) return;
    t_inside = true;
    (called_from_onednn() ? g_onednn : g_ours).add(bytes);
    t_inside = false;
}

}  // namespace

extern "C" {
void* malloc(std::size_t n) {
    record(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    record(count * n);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    record(n);
    return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    record(n);
    return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    record(n);
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    record(n);
    *out = __libc_memalign(alignment, n);
    return *out != nullptr ? 0 : ENOMEM;
}
}

namespace vaednn {
namespace {

struct StepCounts {
    long ours_calls, onednn_calls, onednn_largest;
    std::int64_t primitives;
};

StepCounts measure_step(Vae& vae, const std::vector<float>& batch) {
    const std::int64_t primitives_before = detail::primitives_created();
    g_ours.reset();
    g_onednn.reset();
    g_counting = true;
    vae.train_step(batch);
    g_counting = false;
    return {g_ours.calls.load(), g_onednn.calls.load(), g_onednn.largest.load(),
            detail::primitives_created() - primitives_before};
}

TEST(TrainingStep, AllocatesNothingOfOursAndCreatesNoPrimitiveAfterTheFirst) {
    void* warm[4];
    backtrace(warm, 4);  // loads the unwinder now, not inside a counted allocation
    set_compute_threads(2);
    Vae vae(VaeConfig{}, 1);

    std::vector<long> onednn_calls;
    for (std::size_t batch_size : {32u, 64u}) {
        std::vector<float> batch(batch_size * 784, 0.25f);
        // The second size runs profiled, as vae_train runs: timing every node allocates nothing.
        vae.set_profiling(batch_size == 64u);
        vae.train_step(batch);  // builds the graph for this batch size (and sizes its timing)
        ASSERT_GT(detail::primitives_created(), 20) << "the first step should have built the graph";
        for (int step = 0; step < 3; ++step) {
            const StepCounts counts = measure_step(vae, batch);
            EXPECT_EQ(counts.primitives, 0) << "a step created a primitive";
            EXPECT_EQ(counts.ours_calls, 0)
                << "a step allocated " << g_ours.bytes.load() << " bytes outside oneDNN in "
                << counts.ours_calls << " allocations, the largest " << g_ours.largest.load();
            // oneDNN's gemm buffers: a fixed set per step, sized by its blocking, not by data
            // (the fused LSTM's weight-gradient GEMMs pack the most: 292 KiB on AVX2 at batch 32
            // and at 64 alike).
            EXPECT_LE(counts.onednn_largest, 512 * 1024);
            onednn_calls.push_back(counts.onednn_calls);
            std::printf("batch %zu: oneDNN allocated %ld times (%ld bytes, largest %ld)\n",
                        batch_size, counts.onednn_calls, g_onednn.bytes.load(),
                        counts.onednn_largest);
        }
    }
    // The same count every step at a batch size: nothing accumulates from step to step.
    EXPECT_EQ(onednn_calls[1], onednn_calls[2]);
    EXPECT_EQ(onednn_calls[4], onednn_calls[5]);
}

// The log-likelihood's chunk loop allocates nothing and builds nothing: its allocations are a
// fixed set per call, the same for 4 samples per image (one chunk) as for 64 (sixteen chunks).
TEST(LogLikelihood, ChunksAllocateNothingAndCreateNoPrimitive) {
    void* warm[4];
    backtrace(warm, 4);
    set_compute_threads(2);
    Vae vae(VaeConfig{}, 1);
    const std::vector<float> images(4 * 784, 0.25f);
    LogLikelihoodOptions options;
    options.chunk = 16;
    options.samples = 4;
    estimate_log_likelihood(vae, images, options);  // builds the inference graph for 16
    long calls[2] = {0, 0};
    for (int run = 0; run < 2; ++run) {
        options.samples = run == 0 ? 4 : 64;
        const std::int64_t primitives_before = detail::primitives_created();
        g_ours.reset();
        g_counting = true;
        estimate_log_likelihood(vae, images, options);
        g_counting = false;
        calls[run] = g_ours.calls.load();
        EXPECT_EQ(detail::primitives_created() - primitives_before, 0);
    }
    EXPECT_EQ(calls[0], calls[1]) << "allocations grow with the number of chunks";
}

}  // namespace
}  // namespace vaednn
