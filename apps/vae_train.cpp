// vae_train: trains the VAE on a dataset of 28x28 digits. For now it loads and checks the data and
// prints a summary of it; training arrives with the model.
#include <fmt/core.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>
#include <thread>

#include "app_main.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/runtime.hpp"

namespace {

struct Options {
    std::string dataset = "mnist";
    std::string data_dir;  // empty: the dataset's default place
    std::string data_root = "data";
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

void print_summary(const std::string& split, const vaednn::ImageSetSummary& s) {
    fmt::print("{:<6} {:>6} images  {}x{}  pixel mean {:.4f}  per label:", split, s.count, s.rows,
               s.cols, s.pixel_mean);
    for (std::size_t label = 0; label < s.label_counts.size(); ++label) {
        fmt::print(" {}:{}", label, s.label_counts[label]);
    }
    fmt::print("\n");
}

int run(const Options& options) {
    const int threads = vaednn::set_compute_threads(options.threads);
    const vaednn::RuntimeInfo runtime = vaednn::runtime_info();
    if (options.threads > runtime.hardware_threads) {
        fmt::print(stderr, "vae_train: warning: --threads {} exceeds the {} hardware threads\n",
                   options.threads, runtime.hardware_threads);
    }

    const std::filesystem::path dir =
        options.data_dir.empty() ? vaednn::default_dataset_dir(options.dataset, options.data_root)
                                 : std::filesystem::path(options.data_dir);
    const vaednn::Dataset data = vaednn::load_dataset(dir, options.dataset);

    fmt::print("dataset  {} ({})\n", data.name, data.dir.string());
    fmt::print("oneDNN   {} ({}), {} threads, CPU {}\n", runtime.onednn_version, runtime.cpu_isa,
               threads, runtime.cpu_model);
    print_summary("train", vaednn::summarize(data.train));
    print_summary("test", vaednn::summarize(data.test));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App cli{
        "Train a variational autoencoder (LSTM encoder, deconvolution decoder) with oneDNN",
        "vae_train"};
    cli.option_defaults()->always_capture_default();
    cli.add_option("--dataset", options.dataset, "Dataset to train on")
        ->check(CLI::IsMember(vaednn::known_dataset_names()));
    cli.add_option("--data", options.data_dir,
                   "Directory with the four IDX files (raw or .gz); overrides --dataset's "
                   "default place. Use it to bring the full MNIST");
    cli.add_option("--data-root", options.data_root,
                   "Where scripts/setup.sh put the downloaded datasets");
    cli.add_option("--threads", options.threads, "Compute threads (oneDNN and oneTBB)")
        ->check(CLI::Range(1, 1024));
    return vaednn::app::run_main("vae_train", cli, argc, argv, [&] { return run(options); });
}
