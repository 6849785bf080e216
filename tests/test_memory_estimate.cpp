// The memory estimate against what a training step really takes, and its arithmetic at the edges.
//
// How memory is measured: each configuration is built and stepped in a fresh process (this test
// binary run again for MemoryEstimateProbe alone), which reports how much its peak resident set
// (VmHWM) grew while building the Vae and running one train_step. A fresh process, because in
// this one earlier tests leave freed heap behind that a new Vae would reuse without the resident
// size growing; the peak, because that is what runs a machine out of memory. The probe first
// builds and steps a tiny model of another shape, so that the one-time set-up of oneDNN, OpenMP's
// thread team and the allocator is not counted, then resets the peak to the current size by
// writing 5 to /proc/self/clear_refs (Linux 4.0 and later; without it the resident size after
// the step stands in, which differs little since everything the step allocated stays).
#include <gtest/gtest.h>
#include <malloc.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vaednn/memory_estimate.hpp"
#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define VAEDNN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VAEDNN_TEST_ASAN 1
#endif
#endif

namespace vaednn {
namespace {

constexpr const char* kProbeVariable = "VAEDNN_MEMORY_PROBE";
constexpr const char* kProbeTag = "vaednn-memory-probe";
constexpr double kMiB = 1024.0 * 1024.0;

struct Case {
    const char* name;
    int hidden, latent;
    std::array<int, 3> channels;
    std::size_t batch;

    VaeConfig config() const {
        VaeConfig c;
        c.hidden = hidden;
        c.latent = latent;
        c.decoder_channels = channels;
        c.reference_batch = static_cast<int>(batch);
        return c;
    }
};

// ------------------------------------------------------------------ the probe (child process)

// A field of /proc/self/status ("VmHWM:", "VmRSS:") in bytes, or 0.
std::size_t status_bytes(const std::string& key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(key, 0) == 0) return std::stoull(line.substr(key.size())) * 1024;
    }
    return 0;
}

// Sets the peak resident size to the current one.
bool reset_peak() {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    return clear_refs.good();
}

std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;  // arena chunks in use + mmapped chunks
}

void train_one_step(const VaeConfig& config, std::size_t batch) {
    Vae vae(config, 1);
    std::vector<float> images(batch * static_cast<std::size_t>(config.pixels()));
    for (std::size_t i = 0; i < images.size(); ++i) {
        images[i] = static_cast<float>(i * 2654435761u % 256u) / 255.0f;
    }
    vae.train_step(images);
    // What a Vae holds stays until it goes: measure before it does.
    const std::size_t peak = status_bytes("VmHWM:");
    std::printf("%s peak=%zu rss=%zu heap=%zu\n", kProbeTag, peak, status_bytes("VmRSS:"),
                heap_in_use());
}

TEST(MemoryEstimateProbe, MeasuresOneConfigurationInAFreshProcess) {
    const char* spec = std::getenv(kProbeVariable);
    if (spec == nullptr) GTEST_SKIP() << "runs only as the child of MemoryEstimate's tests";
    Case c{"probe", 0, 0, {}, 0};
    std::istringstream in(spec);
    in >> c.hidden >> c.latent >> c.channels[0] >> c.channels[1] >> c.channels[2] >> c.batch;
    ASSERT_TRUE(in) << spec;
    set_compute_threads(2);

    Case warm_up{"warm-up", 8, 2, {4, 4, 4}, 4};
    train_one_step(warm_up.config(), warm_up.batch);
    const bool peak_reset = reset_peak();
    std::printf("%s base_peak=%zu base_rss=%zu base_heap=%zu reset=%d\n", kProbeTag,
                status_bytes("VmHWM:"), status_bytes("VmRSS:"), heap_in_use(), peak_reset ? 1 : 0);
    train_one_step(c.config(), c.batch);
}

// ------------------------------------------------------------------ the parent side

struct Measured {
    std::size_t peak_growth = 0;  // resident bytes
    std::size_t heap_growth = 0;  // malloc'd bytes in use afterwards
};

// The value of `key=` in the probe's lines (the last such line wins).
std::size_t probe_value(const std::string& output, const std::string& key) {
    // (Appended, not concatenated: GCC 12's -Wrestrict misfires on " " + key + "=".)
    std::string needle = " ";
    needle.append(key).append("=");
    std::size_t value = 0;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(kProbeTag, 0) != 0) continue;
        const auto at = line.find(needle);
        if (at != std::string::npos) value = std::stoull(line.substr(at + needle.size()));
    }
    return value;
}

// Runs the probe for `c` in a fresh process of this binary.
Measured measure(const Case& c, std::string& output) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::ostringstream command;
    command << kProbeVariable << "='" << c.hidden << ' ' << c.latent << ' ' << c.channels[0] << ' '
            << c.channels[1] << ' ' << c.channels[2] << ' ' << c.batch << "' '" << self
            << "' --gtest_filter=MemoryEstimateProbe.* 2>&1";
    FILE* pipe = popen(command.str().c_str(), "r");
    if (pipe == nullptr) return {};
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    if (pclose(pipe) != 0) return {};

    Measured m;
    // The reset peak started from the resident size; without a reset, the size after the step
    // stands in for the peak.
    const bool peak_reset = probe_value(output, "reset") == 1;
    const std::size_t before = probe_value(output, "base_rss");
    const std::size_t after = probe_value(output, peak_reset ? "peak" : "rss");
    m.peak_growth = after > before ? after - before : 0;
    const std::size_t base_heap = probe_value(output, "base_heap");
    const std::size_t heap = probe_value(output, "heap");
    m.heap_growth = heap > base_heap ? heap - base_heap : 0;
    return m;
}

TEST(MemoryEstimate, CoversWhatATrainingStepTakesWithin4x) {
#ifdef VAEDNN_TEST_ASAN
    GTEST_SKIP() << "AddressSanitizer's shadow memory and quarantine change every figure";
#endif
    const Case cases[] = {
        {"small", 32, 4, {8, 16, 8}, 16},
        {"default", 256, 20, {32, 64, 32}, 128},
        {"large", 512, 32, {32, 64, 32}, 256},
        // Little encoder, wide decoder: the activations, not the LSTM, dominate.
        {"wide decoder", 16, 2, {64, 128, 64}, 64},
    };
    for (const Case& c : cases) {
        std::string output;
        const Measured m = measure(c, output);
        ASSERT_GT(m.peak_growth, 0u) << c.name << ": the probe failed:\n" << output;
        const std::size_t estimate = estimate_training_bytes(c.config(), c.batch);
        const double ratio = static_cast<double>(estimate) / static_cast<double>(m.peak_growth);
        std::printf(
            "%-12s hidden %4d latent %2d channels %d,%d,%d batch %3zu: estimate %8.1f MiB, "
            "peak resident growth %8.1f MiB (x%.2f), heap growth %8.1f MiB\n",
            c.name, c.hidden, c.latent, c.channels[0], c.channels[1], c.channels[2], c.batch,
            static_cast<double>(estimate) / kMiB, static_cast<double>(m.peak_growth) / kMiB, ratio,
            static_cast<double>(m.heap_growth) / kMiB);
        EXPECT_GE(estimate, m.peak_growth) << c.name << ": the estimate is short";
        EXPECT_LE(ratio, 4.0) << c.name << ": the estimate is more than 4x what was used";
    }
}

TEST(MemoryEstimate, HugeConfigurationsDoNotOverflow) {
    VaeConfig huge;
    huge.hidden = 8192;
    huge.reference_batch = 65536;
    const std::size_t estimate = estimate_training_bytes(huge, 65536);
    EXPECT_GT(estimate, std::size_t{100} << 30) << "above 100 GiB";
    EXPECT_LT(estimate, SIZE_MAX) << "and still a real number";
    // The LSTM's workspace alone, T x N x 4H floats of gates, bounds it from below.
    EXPECT_GE(estimate, std::size_t{28} * 65536 * 4 * 8192 * sizeof(float));
}

TEST(MemoryEstimate, AbsurdValuesSaturateInsteadOfWrapping) {
    VaeConfig absurd;
    absurd.hidden = INT_MAX;
    absurd.latent = INT_MAX;
    absurd.decoder_channels = {INT_MAX, INT_MAX, INT_MAX};
    absurd.image_rows = absurd.image_cols = INT_MAX;
    EXPECT_EQ(estimate_training_bytes(absurd, SIZE_MAX), SIZE_MAX);
    EXPECT_EQ(estimate_graph_bytes(absurd, 1), SIZE_MAX);
    EXPECT_EQ(estimate_model_bytes(absurd), SIZE_MAX);

    // A batch that only overflows once multiplied through the layers.
    const VaeConfig normal;
    EXPECT_EQ(estimate_training_bytes(normal, SIZE_MAX / 1000), SIZE_MAX);
    EXPECT_EQ(estimate_graph_bytes(normal, SIZE_MAX), SIZE_MAX);
    // Negative sizes hold nothing rather than wrapping to huge unsigned ones.
    VaeConfig negative;
    negative.hidden = -1;
    EXPECT_LT(estimate_training_bytes(negative, 128), estimate_training_bytes(normal, 128));
}

TEST(MemoryEstimate, GrowsWithTheBatchAndTheModel) {
    const VaeConfig normal;
    std::size_t previous = estimate_graph_bytes(normal, 1);
    for (std::size_t batch : {2u, 64u, 128u, 1024u}) {
        const std::size_t next = estimate_graph_bytes(normal, batch);
        EXPECT_GT(next, previous) << batch;
        previous = next;
    }
    VaeConfig wider = normal;
    wider.hidden = 512;
    EXPECT_GT(estimate_model_bytes(wider), estimate_model_bytes(normal));
    EXPECT_EQ(estimate_training_bytes(normal, 128),
              estimate_model_bytes(normal) + estimate_graph_bytes(normal, 128));
    // Four arenas of at least the parameters' floats.
    std::size_t parameters = 0;
    for (const ParameterShape& p : parameter_shapes(normal)) {
        std::size_t count = 1;
        for (const std::int64_t d : p.shape) count *= static_cast<std::size_t>(d);
        parameters += count;
    }
    EXPECT_GE(estimate_model_bytes(normal), 4 * parameters * sizeof(float));
}

}  // namespace
}  // namespace vaednn
