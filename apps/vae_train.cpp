// vae_train: trains the VAE (LSTM encoder, transposed-convolution decoder) on 28x28 digits and
// prints one line per epoch in the form PyTorch's VAE example made familiar.
#include <fmt/core.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>
#include <thread>

#include "app_main.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/error.hpp"
#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace {

struct Options {
    std::string dataset = "mnist";
    std::string data_dir;  // empty: the dataset's default place
    std::string data_root = "data";
    int epochs = 10;
    std::size_t batch_size = 128;
    float learning_rate = 1e-3f;
    int latent = 20;
    int hidden = 256;
    std::string likelihood = "bernoulli";
    std::uint64_t seed = 1;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::size_t limit = 0;
    bool quiet = false;
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

    vaednn::VaeConfig config;
    config.hidden = options.hidden;
    config.latent = options.latent;
    config.likelihood = vaednn::likelihood_from_string(options.likelihood);
    config.adam.learning_rate = options.learning_rate;
    config.reference_batch = static_cast<int>(options.batch_size);
    config.validate();

    const std::filesystem::path dir =
        options.data_dir.empty() ? vaednn::default_dataset_dir(options.dataset, options.data_root)
                                 : std::filesystem::path(options.data_dir);
    const vaednn::Dataset data = vaednn::load_dataset(dir, options.dataset);

    vaednn::Vae vae(config, options.seed);
    vaednn::Trainer trainer(vae, data, {options.batch_size, options.seed, options.limit});

    fmt::print("dataset    {} ({}), training on {} images\n", data.name, data.dir.string(),
               trainer.train_count());
    fmt::print(
        "model      LSTM {}->{}, latent {}, decoder {}x{}x{} -> 28x28, {} likelihood, "
        "{} parameters\n",
        config.image_cols, config.hidden, config.latent, config.decoder_channels[0],
        config.image_rows / 4, config.image_cols / 4, options.likelihood, vae.parameter_count());
    fmt::print("training   {} epochs, batch {}, Adam lr {}, seed {}\n", options.epochs,
               options.batch_size, options.learning_rate, options.seed);
    fmt::print("runtime    oneDNN {} ({}), {} threads, CPU {}\n", runtime.onednn_version,
               runtime.cpu_isa, threads, runtime.cpu_model);
    if (!options.quiet) {
        print_summary("train", vaednn::summarize(data.train));
        print_summary("test", vaednn::summarize(data.test));
    }

    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
        const vaednn::EpochMetrics m = trainer.run_epoch();
        if (!std::isfinite(m.train.loss) || !std::isfinite(m.test.loss)) {
            throw std::runtime_error(fmt::format(
                "training diverged: the loss is not finite in epoch {} (try a lower --lr)", epoch));
        }
        fmt::print(
            "====> Epoch: {}  loss {:.4f}  recon {:.4f}  KL {:.4f}  test loss {:.4f}  "
            "images/s {:.0f}  {:.2f} s\n",
            m.epoch, m.train.loss, m.train.reconstruction, m.train.kl, m.test.loss,
            m.images_per_second, m.train_seconds);
        std::fflush(stdout);
    }
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
    cli.add_option("--epochs", options.epochs, "Passes over the training set")
        ->check(CLI::Range(1, 100000));
    cli.add_option("--batch-size", options.batch_size, "Images per training step")
        ->check(CLI::Range(1, 65536));
    cli.add_option("--lr", options.learning_rate, "Adam's learning rate")
        ->check(CLI::Range(1e-8, 1.0));
    cli.add_option("--latent", options.latent, "Size of the latent code z")
        ->check(CLI::Range(1, 4096));
    cli.add_option("--hidden", options.hidden, "LSTM hidden size")->check(CLI::Range(1, 8192));
    cli.add_option("--likelihood", options.likelihood,
                   "bernoulli (BCE on logits) or gaussian (unit variance)")
        ->check(CLI::IsMember({"bernoulli", "gaussian"}));
    cli.add_option("--seed", options.seed, "Seed of the initial weights, noise and data order");
    cli.add_option("--threads", options.threads, "Compute threads (oneDNN and oneTBB)")
        ->check(CLI::Range(1, 1024));
    cli.add_option("--limit", options.limit, "Train on the first N images only (0: all)");
    cli.add_flag("--quiet", options.quiet, "Print only the epoch lines and errors");
    return vaednn::app::run_main("vae_train", cli, argc, argv, [&] { return run(options); });
}
