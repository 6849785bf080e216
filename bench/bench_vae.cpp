// bench_vae: Google Benchmark suite for libvaednn. Every benchmark reports images/s
// (items_per_second) and GFLOP/s; primitives are built before the timed loop.
//
//   bench_vae [--threads=N] [--benchmark_filter=train_step] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"

namespace {

// Floating-point work per image of the default model (multiply-adds count two), derived from
// the layer shapes: LSTM 4H(I+H)·T·2, heads, decoder dense, three deconvolutions.
double forward_flop_per_image(const vaednn::VaeConfig& c) {
    const double T = c.image_rows, I = c.image_cols, H = c.hidden, Z = c.latent;
    const double c0 = c.decoder_channels[0], c1 = c.decoder_channels[1], c2 = c.decoder_channels[2];
    const double s0 = c.image_rows / 4.0, s1 = 2 * s0, s2 = 4 * s0;
    const double lstm = 2.0 * T * 4.0 * H * (I + H);
    const double heads = 2.0 * H * 2.0 * Z;
    const double fc = 2.0 * Z * c0 * s0 * s0;
    const double deconvs = 2.0 * 9.0 * (c0 * c1 * s0 * s0 + c1 * c2 * s1 * s1 + c2 * 1.0 * s2 * s2);
    return lstm + heads + fc + deconvs;
}

std::vector<float> synthetic_batch(std::size_t n) {
    std::vector<float> images(n * 784);
    for (std::size_t i = 0; i < images.size(); ++i) {
        images[i] = static_cast<float>((i * 2654435761u) % 256u) / 255.0f;
    }
    return images;
}

void set_counters(benchmark::State& state, std::size_t batch, double flop_per_image) {
    const auto images = static_cast<double>(state.iterations()) * static_cast<double>(batch);
    state.SetItemsProcessed(static_cast<std::int64_t>(images));
    state.counters["GFLOP/s"] =
        benchmark::Counter(images * flop_per_image * 1e-9, benchmark::Counter::kIsRate);
}

// One whole training step: forward, loss, backward, Adam.
void train_step(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    vaednn::VaeConfig config;
    config.reference_batch = static_cast<int>(batch);
    vaednn::Vae vae(config, 1);
    const auto images = synthetic_batch(batch);
    vae.train_step(images);  // builds the graph; the first step is warm-up
    for (auto _ : state) benchmark::DoNotOptimize(vae.train_step(images));
    // Backward costs about twice the forward.
    set_counters(state, batch, 3.0 * forward_flop_per_image(config));
}

// The forward pass and the loss, as evaluation runs them.
void inference(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    vaednn::VaeConfig config;
    config.reference_batch = static_cast<int>(batch);
    vaednn::Vae vae(config, 1);
    const auto images = synthetic_batch(batch);
    vae.evaluate(images);
    for (auto _ : state) benchmark::DoNotOptimize(vae.evaluate(images));
    set_counters(state, batch, forward_flop_per_image(config));
}

void batch_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("batch")->Arg(64)->Arg(128)->Arg(256)->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(train_step)->Apply(batch_sizes);
BENCHMARK(inference)->Apply(batch_sizes);

// Takes --threads=N (or --threads N) out of argv before Google Benchmark sees it.
int take_threads_flag(int& argc, char** argv) {
    int threads = 0;
    for (int i = 1; i < argc; ++i) {
        const char* value = nullptr;
        int consumed = 0;
        if (std::strncmp(argv[i], "--threads=", 10) == 0) {
            value = argv[i] + 10;
            consumed = 1;
        } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            value = argv[i + 1];
            consumed = 2;
        }
        if (value == nullptr) continue;
        threads = std::atoi(value);
        for (int j = i; j + consumed <= argc; ++j) argv[j] = argv[j + consumed];
        argc -= consumed;
        break;
    }
    return threads;
}

}  // namespace

int main(int argc, char** argv) {
    const int requested = take_threads_flag(argc, argv);
    const vaednn::RuntimeInfo before = vaednn::runtime_info();
    const int threads =
        vaednn::set_compute_threads(requested > 0 ? requested : before.hardware_threads);
    const vaednn::RuntimeInfo info = vaednn::runtime_info();
    benchmark::AddCustomContext("onednn_version", info.onednn_version);
    benchmark::AddCustomContext("onednn_isa", info.cpu_isa);
    benchmark::AddCustomContext("threads", std::to_string(threads));
    benchmark::AddCustomContext("cpu_model", info.cpu_model);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
