// bench_vae: Google Benchmark suite for libvaednn. Every benchmark reports images/s
// (items_per_second) and FLOP/s, takes the batch size as its argument (/batch:128), runs on
// real time, and builds its primitives before the timed loop.
//
//   bench_vae [--threads=N] [--oversubscribe] [--benchmark_filter=lstm] [Google Benchmark flags]
//
// Before the benchmarks it measures the FP32 FMA peak of the same threads (machine_peak.hpp):
// every benchmark's peak_share is its FLOP/s over that peak, the roofline of this run.
//
// - train_step, inference: the whole training step (forward, loss, backward, Adam) and the
//   forward pass with the loss; train_step_onednn_rnn and inference_onednn_rnn the same with
//   oneDNN's own LSTM primitives instead of the fused kernel (ComputeOptions).
// - <layer>_<direction> (lstm_forward, deconv2_backward_weights, dense_fc_forward, loss, adam,
//   ...): the nodes of the training step's own graph that compute that layer and direction,
//   replayed alone with the step's layouts. Their sum is the step's "primitives alone" time;
//   what the step takes beyond it is glue: layout reorders, noise, the sub-pixel weight gather
//   and interleave, loss and Adam (tools/side_by_side.py computes both). lstm_*_onednn: the LSTM
//   layer with oneDNN's lstm_forward / lstm_backward.
// - deconv_forward_algorithms/<layer>:<algorithm>: each forward algorithm of each deconvolution
//   as a layer alone, the measurement behind choose_deconv_forward().
// - pipeline: the oneTBB batch pipeline alone (gather, scale, hand over), no training.
#include <benchmark/benchmark.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/builder.hpp"
#include "engine/graph.hpp"
#include "engine/param_arena.hpp"
#include "machine_peak.hpp"
#include "model/vae_access.hpp"
#include "nn/deconv.hpp"
#include "vaednn/cpu_budget.hpp"
#include "vaednn/model.hpp"
#include "vaednn/pipeline.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace {

using vaednn::VaeConfig;

// Floating-point work per image, from the layer shapes (a multiply-add counts two).
struct Flop {
    const VaeConfig& c;
    double T() const { return c.image_rows; }
    double side0() const { return c.image_rows / 4.0; }
    double lstm() const { return 2.0 * T() * 4.0 * c.hidden * (c.image_cols + c.hidden); }
    double heads() const { return 2.0 * c.hidden * 2.0 * c.latent; }
    double fc() const { return 2.0 * c.latent * c.decoder_channels[0] * side0() * side0(); }
    // Each input pixel meets k*k taps of every output channel.
    double deconv(int layer) const {
        const double in_side = side0() * (layer == 1 ? 1 : layer == 2 ? 2 : 4);
        const double in = c.decoder_channels[static_cast<std::size_t>(layer - 1)];
        const double out = layer == 3 ? 1.0 : c.decoder_channels[static_cast<std::size_t>(layer)];
        return 2.0 * 9.0 * in * out * in_side * in_side;
    }
    double forward() const { return lstm() + heads() + fc() + deconv(1) + deconv(2) + deconv(3); }
    // Backward computes a data and a weight gradient per layer, each as much work as the forward.
    double training() const { return 3.0 * forward(); }
    // Element-wise kernels, counting each arithmetic operation (exp and log as one): the loss
    // ~10 per pixel, Adam ~12 per parameter.
    double loss() const { return 10.0 * c.image_rows * c.image_cols; }
};

VaeConfig config_for(std::size_t batch) {
    VaeConfig config;
    config.reference_batch = static_cast<int>(batch);
    return config;
}

std::vector<float> synthetic_batch(std::size_t n) {
    std::vector<float> images(n * 784);
    for (std::size_t i = 0; i < images.size(); ++i) {
        images[i] = static_cast<float>((i * 2654435761u) % 256u) / 255.0f;
    }
    return images;
}

// The FP32 FMA peak of this run's threads, measured before the benchmarks run (main).
double g_peak_gflops = 0.0;

using Clock = std::chrono::steady_clock;

// FLOP as Google Benchmark's rate (the console prints "FLOP=41.8G/s"), and peak_share: the share
// of the machine's FP32 peak the loop ran at (0.71: 71 %). Google Benchmark divides only rates by
// the time, and would print a ratio as "0.71/s", so the share takes the loop's own wall time
// (`loop_start` is taken just before it).
void set_counters(benchmark::State& state, std::size_t batch, double flop_per_image,
                  Clock::time_point loop_start) {
    const double seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();
    const auto images = static_cast<double>(state.iterations()) * static_cast<double>(batch);
    state.SetItemsProcessed(static_cast<std::int64_t>(images));
    const double flop = images * flop_per_image;
    state.counters["FLOP"] = benchmark::Counter(flop, benchmark::Counter::kIsRate);
    if (g_peak_gflops > 0.0 && flop_per_image > 0.0 && seconds > 0.0) {
        state.counters["peak_share"] = flop * 1e-9 / seconds / g_peak_gflops;
    }
}

void batch_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("batch")->Arg(64)->Arg(128)->Arg(256)->UseRealTime()->Unit(benchmark::kMillisecond);
}

// ----------------------------------------------------------------------------- whole step

void train_step(benchmark::State& state, vaednn::LstmKernel lstm) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    const VaeConfig config = config_for(batch);
    vaednn::Vae vae(config, 1, {lstm});
    const auto images = synthetic_batch(batch);
    vae.train_step(images);  // builds the graph; the first step is warm-up
    const auto loop_start = Clock::now();
    for (auto _ : state) benchmark::DoNotOptimize(vae.train_step(images));
    set_counters(state, batch, Flop{config}.training(), loop_start);
}

// The forward pass and the loss, as evaluation runs them.
void inference(benchmark::State& state, vaednn::LstmKernel lstm) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    const VaeConfig config = config_for(batch);
    vaednn::Vae vae(config, 1, {lstm});
    const auto images = synthetic_batch(batch);
    vae.evaluate(images);
    const auto loop_start = Clock::now();
    for (auto _ : state) benchmark::DoNotOptimize(vae.evaluate(images));
    set_counters(state, batch, Flop{config}.forward(), loop_start);
}

// ----------------------------------------------------------------------------- per layer

struct LayerBenchmark {
    const char* name;
    // Graph nodes: a name matches a pattern equal to it, or the pattern plus "_" and a residue
    // ("deconv2.forward" matches the sub-pixel "deconv2.forward_01").
    std::vector<std::string> nodes;
    double (*flop)(const VaeConfig&);
    vaednn::LstmKernel lstm = vaednn::LstmKernel::fused;  // the model's
};

bool node_matches(const std::string& node, const std::string& pattern) {
    if (node == pattern) return true;
    if (node.size() <= pattern.size() + 1 || node.compare(0, pattern.size(), pattern) != 0 ||
        node[pattern.size()] != '_') {
        return false;
    }
    return node.find_first_not_of("0123456789", pattern.size() + 1) == std::string::npos;
}

// The ReLU's backward belongs to backward_data: both backward primitives read its output, and
// the data gradient is the direction it serves.
const std::vector<LayerBenchmark>& layer_benchmarks() {
    static const std::vector<LayerBenchmark> list = {
        // Both LSTM kernels with the reorders of their own weights and gradients.
        {"lstm_forward",
         {"lstm.bias_sum", "lstm.block_weights_layer", "lstm.forward_projection",
          "lstm.block_weights_iter", "lstm.forward"},
         [](const VaeConfig& c) { return Flop{c}.lstm(); }},
        {"lstm_backward",
         {"lstm.zero_diff_dst", "lstm.block_weights_iter_t", "lstm.backward", "lstm.block_d_gates",
          "lstm.block_hidden_states", "lstm.backward_weights_iter", "lstm.store_weights_iter_grad",
          "lstm.block_inputs", "lstm.backward_weights_layer", "lstm.store_weights_layer_grad",
          "lstm.backward_bias", "lstm.bias_grad"},
         [](const VaeConfig& c) { return 2.0 * Flop{c}.lstm(); }},
        {"lstm_forward_onednn",
         {"lstm.forward"},
         [](const VaeConfig& c) { return Flop{c}.lstm(); },
         vaednn::LstmKernel::onednn},
        // With the weights' reorders to the layout backward wants and the gradients' zeroing.
        {"lstm_backward_onednn",
         {"lstm.reorder_weights_layer", "lstm.reorder_weights_iter", "lstm.zero_grad",
          "lstm.backward", "lstm.reorder_diff_weights_layer", "lstm.reorder_diff_weights_iter"},
         [](const VaeConfig& c) { return 2.0 * Flop{c}.lstm(); },
         vaednn::LstmKernel::onednn},
        {"dense_heads_forward",
         {"heads.forward"},
         [](const VaeConfig& c) { return Flop{c}.heads(); }},
        {"dense_heads_backward_data",
         {"heads.backward_data"},
         [](const VaeConfig& c) { return Flop{c}.heads(); }},
        {"dense_heads_backward_weights",
         {"heads.backward_weights"},
         [](const VaeConfig& c) { return Flop{c}.heads(); }},
        {"dense_fc_forward",
         {"decoder_fc.forward"},
         [](const VaeConfig& c) { return Flop{c}.fc(); }},
        {"dense_fc_backward_data",
         {"decoder_fc.relu_backward", "decoder_fc.backward_data"},
         [](const VaeConfig& c) { return Flop{c}.fc(); }},
        {"dense_fc_backward_weights",
         {"decoder_fc.backward_weights"},
         [](const VaeConfig& c) { return Flop{c}.fc(); }},
        {"deconv1_forward",
         {"deconv1.forward", "deconv1.relu"},
         [](const VaeConfig& c) { return Flop{c}.deconv(1); }},
        {"deconv1_backward_data",
         {"deconv1.relu_backward", "deconv1.backward_data"},
         [](const VaeConfig& c) { return Flop{c}.deconv(1); }},
        {"deconv1_backward_weights",
         {"deconv1.backward_weights"},
         [](const VaeConfig& c) { return Flop{c}.deconv(1); }},
        {"deconv2_forward",
         {"deconv2.forward", "deconv2.relu"},
         [](const VaeConfig& c) { return Flop{c}.deconv(2); }},
        {"deconv2_backward_data",
         {"deconv2.relu_backward", "deconv2.backward_data"},
         [](const VaeConfig& c) { return Flop{c}.deconv(2); }},
        {"deconv2_backward_weights",
         {"deconv2.backward_weights"},
         [](const VaeConfig& c) { return Flop{c}.deconv(2); }},
        {"deconv3_forward",
         {"deconv3.forward"},
         [](const VaeConfig& c) { return Flop{c}.deconv(3); }},
        {"deconv3_backward_data",
         {"deconv3.backward_data"},
         [](const VaeConfig& c) { return Flop{c}.deconv(3); }},
        {"deconv3_backward_weights",
         {"deconv3.backward_weights"},
         [](const VaeConfig& c) { return Flop{c}.deconv(3); }},
        {"loss", {"loss.elbo"}, [](const VaeConfig& c) { return Flop{c}.loss(); }},
        {"adam", {"adam"}, nullptr},  // per parameter, not per image: set below
    };
    return list;
}

void layer(benchmark::State& state, const LayerBenchmark& spec) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    const VaeConfig config = config_for(batch);
    vaednn::Vae vae(config, 1, {spec.lstm});
    const auto images = synthetic_batch(batch);
    vae.train_step(images);  // builds the graph and fills every tensor the nodes read
    const vaednn::detail::Graph& graph = vaednn::detail::VaeAccess::step_graph(vae, batch);
    dnnl::stream& stream = vaednn::detail::VaeAccess::stream(vae);

    std::vector<std::size_t> nodes;
    for (std::size_t i = 0; i < graph.size(); ++i) {
        for (const std::string& pattern : spec.nodes) {
            if (node_matches(graph.nodes()[i].name, pattern)) nodes.push_back(i);
        }
    }
    if (nodes.empty()) {
        state.SkipWithError("the training graph has no node of this layer");
        return;
    }
    std::string implementation;
    for (std::size_t i : nodes) {
        if (!implementation.empty()) implementation += ",";
        implementation += graph.nodes()[i].implementation;
    }
    state.SetLabel(implementation);
    const auto loop_start = Clock::now();
    for (auto _ : state) {
        for (std::size_t i : nodes) graph.run(stream, i, i + 1);
    }
    const double flop = spec.flop != nullptr ? spec.flop(config)
                                             : 12.0 * static_cast<double>(vae.parameter_count()) /
                                                   static_cast<double>(batch);
    set_counters(state, batch, flop, loop_start);
}

// ----------------------------------------------------------------------------- deconvolution
// forward algorithms, each layer alone: src in its layer's input layout, the input reorder not
// timed, everything else the algorithm does (gather, convolutions, interleave, ReLU) timed.

void deconv_algorithm(benchmark::State& state, int layer_index,
                      vaednn::detail::DeconvForward algorithm) {
    using namespace vaednn::detail;
    const auto batch = static_cast<memory::dim>(state.range(0));
    const VaeConfig config = config_for(static_cast<std::size_t>(batch));
    const int side0 = config.image_rows / 4;
    const auto& ch = config.decoder_channels;
    const DeconvShape shapes[] = {{ch[0], ch[1], 3, 2, 1, 1, side0},
                                  {ch[1], ch[2], 3, 2, 1, 1, 2 * side0},
                                  {ch[2], 1, 3, 1, 1, 0, 4 * side0}};
    const DeconvShape shape = shapes[layer_index - 1];
    if (algorithm == DeconvForward::subpixel && !Deconv::subpixel_possible(shape)) {
        state.SkipWithError("sub-pixel does not fit this shape");
        return;
    }
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);
    ParamArena params;
    Deconv deconv("deconv", "deconv", shape, layer_index != 3, algorithm);
    deconv.declare(params, engine, static_cast<int>(batch));
    params.allocate(engine);
    deconv.bind(params, engine);
    std::vector<float> weights = synthetic_batch((params.floats() + 783) / 784);
    std::copy_n(weights.begin(), params.floats(), params.weights().begin());

    Graph graph;
    GraphBuilder builder(engine, graph);
    // Every layer's input comes in blocked nChw16c (deconv1's from the dense output's reorder),
    // so every candidate starts from there.
    const memory src = builder.make_persistent(
        plain_desc({batch, shape.in_channels, shape.in_side, shape.in_side}, Tag::nChw16c));
    std::fill_n(static_cast<float*>(src.get_data_handle()), src.get_desc().get_size() / 4, 0.5f);
    deconv.forward(builder, src, Pass::training);
    builder.finish();
    std::size_t first = 0;
    while (first < graph.size() && graph.nodes()[first].name == "deconv.reorder_src") ++first;
    graph.run(stream);
    const auto loop_start = Clock::now();
    for (auto _ : state) graph.run(stream, first, graph.size());
    state.SetLabel(graph.nodes()[graph.size() - 1].implementation);
    set_counters(state, static_cast<std::size_t>(batch), Flop{config}.deconv(layer_index),
                 loop_start);
}

// ----------------------------------------------------------------------------- pipeline

void pipeline(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    vaednn::ImageSet set;
    set.count = 8192;
    set.rows = set.cols = 28;
    set.pixels.resize(set.count * 784);
    for (std::size_t i = 0; i < set.pixels.size(); ++i) {
        set.pixels[i] = static_cast<std::uint8_t>(i * 2654435761u >> 24);
    }
    set.labels.assign(set.count, 0);
    std::size_t images = 0;
    int epoch = 0;
    for (auto _ : state) {
        vaednn::BatchPipeline batches(
            vaednn::epoch_order(set.count, 1, ++epoch), batch, 784,
            [&set](std::span<const std::uint32_t> indices, std::span<float> out) {
                vaednn::gather_batch(set, indices, out);
            });
        while (auto b = batches.next()) images += b->indices.size();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(images));
    state.counters["images_per_epoch"] = static_cast<double>(set.count);
}
BENCHMARK(pipeline)->Apply(batch_sizes);

void register_benchmarks() {
    // The whole step and inference with each LSTM kernel; "onednn_rnn" keeps the oneDNN variants
    // out of --benchmark_filter=lstm, which selects the LSTM layer's own benchmarks.
    using vaednn::LstmKernel;
    benchmark::RegisterBenchmark("train_step", train_step, LstmKernel::fused)->Apply(batch_sizes);
    benchmark::RegisterBenchmark("train_step_onednn_rnn", train_step, LstmKernel::onednn)
        ->Apply(batch_sizes);
    benchmark::RegisterBenchmark("inference", inference, LstmKernel::fused)->Apply(batch_sizes);
    benchmark::RegisterBenchmark("inference_onednn_rnn", inference, LstmKernel::onednn)
        ->Apply(batch_sizes);
    for (const LayerBenchmark& spec : layer_benchmarks()) {
        benchmark::RegisterBenchmark(spec.name, layer, spec)->Apply(batch_sizes);
    }
    using vaednn::detail::DeconvForward;
    for (int layer_index : {1, 2, 3}) {
        for (DeconvForward algorithm :
             {DeconvForward::direct_any, DeconvForward::direct_plain, DeconvForward::subpixel}) {
            const std::string name = "deconv_forward_algorithms/deconv" +
                                     std::to_string(layer_index) + ":" +
                                     vaednn::detail::deconv_forward_name(algorithm);
            benchmark::RegisterBenchmark(name.c_str(), deconv_algorithm, layer_index, algorithm)
                ->Apply(batch_sizes);
        }
    }
}

// bench_vae's own flag, --threads=N (or --threads N), is taken out of argv before Google
// Benchmark parses the rest. A bad value ends the run with one line and exit code 2, like
// vae_train's flags: a typo must not turn into a benchmark at some other thread count.
constexpr int kMaxThreads = 1024;

[[noreturn]] void reject_threads(const char* why) {
    std::fprintf(stderr, "bench_vae: --threads: %s\n", why);
    std::exit(2);
}

[[noreturn]] void reject_threads(std::string_view value, const char* why) {
    std::fprintf(stderr, "bench_vae: --threads: '%.*s' %s\n", static_cast<int>(value.size()),
                 value.data(), why);
    std::exit(2);
}

constexpr const char* kThreadsMissing = "a value is missing (--threads=N, N between 1 and 1024)";

// A whole number in 1..kMaxThreads and nothing else: no blanks, no trailing characters. ("-3"
// parses, and is out of range; "+3" and "3.0" are not numbers.)
int parse_threads(std::string_view text) {
    if (text.empty()) reject_threads(kThreadsMissing);
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::invalid_argument || end != text.data() + text.size()) {
        reject_threads(text, "is not a number");
    }
    if (error == std::errc::result_out_of_range || value < 1 || value > kMaxThreads) {
        reject_threads(text, "must be between 1 and 1024");
    }
    return static_cast<int>(value);
}

// Removes every --threads flag (and its value) and --oversubscribe from argv; returns the last
// --threads value given (0 when there is none).
int take_threads_flag(int& argc, char** argv, bool& oversubscribe) {
    int threads = 0;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.starts_with("--threads=")) {
            threads = parse_threads(arg.substr(std::strlen("--threads=")));
        } else if (arg == "--threads") {
            // The next argument is the value, unless it is missing or another flag.
            if (i + 1 == argc || std::string_view(argv[i + 1]).starts_with("--")) {
                reject_threads(kThreadsMissing);
            }
            threads = parse_threads(argv[++i]);
        } else if (arg == "--oversubscribe") {
            oversubscribe = true;
        } else {
            argv[kept++] = argv[i];
        }
    }
    argv[kept] = nullptr;
    argc = kept;
    return threads;
}

std::string fmt_gflops(double gflops) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", gflops);
    return text;
}

// Google Benchmark's --help, after the lines for bench_vae's own flags.
void print_help() {
    std::printf(
        "bench_vae [--threads=N] [--oversubscribe] [Google Benchmark flags below]\n"
        "          --threads=N: compute threads (oneDNN's OpenMP team and oneTBB), 1..%d;\n"
        "          default and most: the CPUs this process may use (affinity and cgroup quota)\n"
        "          --oversubscribe: run --threads=N even above that\n"
        "Every benchmark reports FLOP/s (FLOP=41.8G/s) and peak_share, its share of the FP32\n"
        "FMA peak that bench_vae measures on the same threads before the benchmarks\n"
        "(fp32_fma_peak_gflops in the context). Debian's Google Benchmark says \"Library was\n"
        "built as DEBUG\": that is the benchmark library's own build; bench_vae and libvaednn are\n"
        "built as Release.\n",
        kMaxThreads);
    benchmark::PrintDefaultHelp();
}

}  // namespace

int main(int argc, char** argv) {
    bool oversubscribe = false;
    const int requested = take_threads_flag(argc, argv, oversubscribe);
    const vaednn::CpuBudget budget = vaednn::cpu_budget();
    const vaednn::ThreadChoice choice = vaednn::choose_threads(requested, budget, oversubscribe);
    if (choice.capped) {
        std::fprintf(stderr,
                     "bench_vae: --threads %d is more than the CPUs this process may use, %s: "
                     "running %d (--oversubscribe insists)\n",
                     requested, budget.describe().c_str(), choice.used);
    }
    const int threads = vaednn::set_compute_threads(choice.used);
    const vaednn::RuntimeInfo info = vaednn::runtime_info();
    const vaednn::bench::Fp32Peak peak = vaednn::bench::measure_fp32_fma_peak(threads);
    g_peak_gflops = peak.gflops;
    benchmark::AddCustomContext("cpu", vaednn::bench::cpu_identity());
    benchmark::AddCustomContext("onednn_version", info.onednn_version);
    benchmark::AddCustomContext("onednn_isa", info.cpu_isa);
    benchmark::AddCustomContext("threads", std::to_string(threads));
    benchmark::AddCustomContext("threads_requested", std::to_string(requested));
    benchmark::AddCustomContext("fp32_fma_peak_gflops", fmt_gflops(peak.gflops));
    benchmark::AddCustomContext("fp32_fma_peak_isa", peak.isa);
    register_benchmarks();
    benchmark::Initialize(&argc, argv, print_help);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
