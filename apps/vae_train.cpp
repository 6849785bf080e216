// vae_train: trains the VAE (LSTM encoder, transposed-convolution decoder) on 28x28 digits.
// Prints one line per epoch in the form PyTorch's VAE example made familiar, and leaves in --out:
// metrics.csv, timing.json, loss_curves.png, a grid of prior samples and of reconstructions per
// epoch, and checkpoint.safetensors. Ctrl-C finishes the current step, checkpoints and exits 0.
// The training itself is vaednn::TrainingRun's: this program is its flags, console and signals.
// Started by mpirun or srun, its processes train one model together (vaednn::Communicator): each
// takes its share of every batch, and rank 0 alone prints and writes the run's folder.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <stop_token>
#include <string>

#include "app_main.hpp"
#include "console.hpp"
#include "stop_signal.hpp"
#include "threads.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/epoch_figures.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/memory_estimate.hpp"
#include "vaednn/model.hpp"
#include "vaednn/report.hpp"
#include "vaednn/run_folder.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/training_run.hpp"

namespace {

namespace fs = std::filesystem;
using vaednn::app::complain;
using vaednn::app::say;
using vaednn::app::shell_quote;

struct Options {
    std::string dataset = "mnist";
    std::string data_dir;  // empty: the dataset's default place
    std::string data_root = "data";
    int epochs = 4;  // about five minutes of full MNIST on two cores, by measurement (README)
    std::size_t batch_size = 128;
    float learning_rate = 1e-3f;
    int latent = 20;
    int hidden = 256;
    std::string likelihood = "bernoulli";
    std::uint64_t seed = 1;
    int threads = 0;  // 0: every CPU this process may use
    bool oversubscribe = false;
    std::size_t limit = 0;
    std::string out;  // empty: out/, or the resumed checkpoint's folder
    bool overwrite = false;
    int checkpoint_every = 1;
    std::string resume;
    std::size_t max_memory = default_memory_limit();
    bool quiet = false;
    std::size_t eval_k = 0;  // 0: no log-likelihood at the end
    std::string binarize = "none";

    static std::size_t default_memory_limit() {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
        if (pages <= 0 || page <= 0) return std::size_t{8} << 30;
        return static_cast<std::size_t>(pages) / 4 * 3 * static_cast<std::size_t>(page);
    }
    fs::path out_folder() const {
        if (!out.empty()) return out;
        if (resume.empty()) return "out";
        const fs::path parent = fs::path(resume).parent_path();
        return parent.empty() ? fs::path(".") : parent;
    }
};

fs::path dataset_dir(const Options& o, const std::string& dataset) {
    return o.data_dir.empty() ? vaednn::default_dataset_dir(dataset, o.data_root)
                              : fs::path(o.data_dir);
}

std::string human_bytes(std::size_t bytes) {
    const auto value = static_cast<double>(bytes);
    if (bytes < (std::size_t{1} << 30)) return fmt::format("{:.1f} MiB", value / (1u << 20));
    return fmt::format("{:.1f} GiB", value / (1u << 30));
}

// Refuses, before anything is allocated, a model and batch that would need more than
// --max-memory; what is left of the budget bounds the data set's files.
vaednn::IdxLimits memory_budget(const Options& o, const vaednn::VaeConfig& config,
                                std::size_t batch_size) {
    // A run builds a graph for the batch size and for the last, partial batches of the training
    // and test sets (each at most the batch size), plus the figures' two small ones.
    std::size_t model = vaednn::estimate_model_bytes(config);
    for (const std::size_t batch : {batch_size, batch_size, batch_size, vaednn::kEpochFigureSamples,
                                    vaednn::kEpochFigureReconstructions}) {
        const std::size_t graph = vaednn::estimate_graph_bytes(config, batch);
        model = graph > SIZE_MAX - model ? SIZE_MAX : model + graph;
    }
    if (model > o.max_memory) {
        throw vaednn::ConfigError(fmt::format(
            "training this model at batch {} needs about {} of memory, more than --max-memory "
            "{}; choose a smaller --batch-size, --hidden or --latent, or raise --max-memory",
            batch_size, human_bytes(model), human_bytes(o.max_memory)));
    }
    vaednn::IdxLimits limits;
    limits.max_total_bytes = std::min(limits.max_total_bytes, o.max_memory - model);
    limits.max_bytes = std::min(limits.max_bytes, limits.max_total_bytes);
    return limits;
}

vaednn::TrainingRun start_fresh(const Options& o, vaednn::TrainingHooks hooks) {
    vaednn::TrainingSetup setup;
    setup.config.hidden = o.hidden;
    setup.config.latent = o.latent;
    setup.config.likelihood = vaednn::likelihood_from_string(o.likelihood);
    setup.config.adam.learning_rate = o.learning_rate;
    setup.config.reference_batch = static_cast<int>(o.batch_size);
    setup.config.validate();
    setup.model_seed = o.seed;
    setup.trainer = {o.batch_size, o.seed, o.limit};
    setup.trainer.binarize = vaednn::binarization_from_string(o.binarize);
    const vaednn::IdxLimits limits = memory_budget(o, setup.config, o.batch_size);
    return vaednn::TrainingRun(vaednn::load_dataset(dataset_dir(o, o.dataset), o.dataset, limits),
                               setup, std::move(hooks));
}

vaednn::TrainingRun resume_from(const Options& o, const CLI::App& cli, int threads, bool root,
                                vaednn::TrainingHooks hooks) {
    const vaednn::Checkpoint checkpoint = vaednn::read_checkpoint(o.resume);
    const vaednn::CheckpointInfo& info = checkpoint.info;
    vaednn::TrainingRun::check_resumable(checkpoint);
    // The model and the data order come from the checkpoint; flags that would change them are
    // refused rather than silently ignored.
    for (const char* flag : {"--hidden", "--latent", "--likelihood", "--lr", "--batch-size",
                             "--seed", "--limit", "--dataset", "--binarize"}) {
        if (cli.count(flag) > 0) {
            throw vaednn::ConfigError(
                fmt::format("{} cannot be combined with --resume: the checkpoint fixes it", flag));
        }
    }
    Options from_checkpoint = o;
    if (o.data_dir.empty()) from_checkpoint.data_dir = info.data_dir;
    const std::vector<std::string> known = vaednn::known_dataset_names();
    if (std::find(known.begin(), known.end(), info.dataset) == known.end()) {
        throw vaednn::CheckpointError(o.resume, "names a dataset this build does not know");
    }
    const vaednn::IdxLimits limits = memory_budget(o, info.config, info.trainer.batch_size);
    vaednn::TrainingRun run = vaednn::TrainingRun::resume(
        checkpoint,
        vaednn::load_dataset(dataset_dir(from_checkpoint, info.dataset), info.dataset, limits),
        std::move(hooks));
    if (root && info.data_digest.empty()) {
        complain(
            "vae_train: warning: {} records no digest of its data (an older checkpoint); "
            "resuming on {} without checking it is the same data\n",
            o.resume, run.data().dir.string());
    }
    if (root && info.threads != 0 && info.threads != threads) {
        complain(
            "vae_train: warning: {} was written by a run with {} threads and this one uses {}: "
            "the losses will match an uninterrupted run closely but not to the last digit\n",
            o.resume, info.threads, threads);
    }
    return run;
}

void print_start(const Options& o, const vaednn::TrainingRun& run, int threads,
                 const vaednn::RuntimeInfo& rt, const vaednn::Communicator& world,
                 const fs::path& out) {
    const vaednn::VaeConfig& c = run.model().config();
    const vaednn::Trainer& trainer = run.trainer();
    const vaednn::Dataset& data = run.data();
    say("dataset    {} ({}), training on {} of {} images, testing on {}\n", data.name,
        data.dir.string(), trainer.train_count(), data.train.count, data.test.count);
    say("model      LSTM {}->{}, latent {}, decoder {}x{}x{} -> {}x{}, {} likelihood, "
        "{} parameters\n",
        c.image_cols, c.hidden, c.latent, c.decoder_channels[0], c.image_rows / 4, c.image_cols / 4,
        c.image_rows, c.image_cols, vaednn::to_string(c.likelihood), run.model().parameter_count());
    say("training   {} epochs, batch {}, Adam lr {}, seed {}{}{}\n", o.epochs,
        trainer.options().batch_size, c.adam.learning_rate, run.model().seed(),
        trainer.options().binarize == vaednn::Binarization::dynamic
            ? ", dynamically binarized images"
            : "",
        o.resume.empty() ? std::string()
                         : fmt::format(", resumed at epoch {} batch {}", run.epochs_done() + 1,
                                       run.progress().next_batch + 1));
    say("runtime    oneDNN {} ({}), {} thread{}{}, CPU {}\n", rt.onednn_version, rt.cpu_isa,
        threads, threads == 1 ? "" : "s", world.size() > 1 ? " per process" : "", rt.cpu_model);
    if (world.size() > 1) {
        say("parallel   {}: each takes its share of every batch of {}\n", world.describe(),
            trainer.options().batch_size);
    }
    say("output     {}\n", out.string());
}

void poison_with_nan(vaednn::Vae& vae) {
    std::vector<vaednn::Tensor> params = vae.parameters();
    params.back().values[0] = std::numeric_limits<float>::quiet_NaN();
    vae.set_parameters(params);
}

// Fault injection for the tests (tests/faults.sh, tests/mpi_faults.sh): the environment says which
// faults, and they reach the library as hooks. With VAEDNN_FAULT_RANK=R only rank R has them.
vaednn::TrainingHooks fault_hooks_from_environment(int rank) {
    vaednn::TrainingHooks hooks;
    if (const char* only = std::getenv("VAEDNN_FAULT_RANK");
        only != nullptr && std::atoi(only) != rank) {
        return hooks;
    }
    // After this many steps in this process, poison one parameter with NaN, as a diverging run
    // would.
    if (const char* steps = std::getenv("VAEDNN_FAULT_NAN_AFTER_STEPS"); steps != nullptr) {
        const long after = std::atol(steps);
        hooks.after_step = [after](std::int64_t step, vaednn::Vae& vae) {
            if (step == after) poison_with_nan(vae);
        };
    }
    // After this many steps, fail as a bad batch or a lost file would: an error of this process
    // alone, while the others wait for it in the next step's sum.
    if (const char* steps = std::getenv("VAEDNN_FAULT_ERROR_AFTER_STEPS"); steps != nullptr) {
        const long after = std::atol(steps);
        hooks.after_step = [after](std::int64_t step, vaednn::Vae&) {
            if (step == after) {
                throw vaednn::Error(fmt::format(
                    "an injected fault after step {} (VAEDNN_FAULT_ERROR_AFTER_STEPS)", step));
            }
        };
    }
    // Die inside every checkpoint write, as a power cut or SIGKILL would: the temporary cut to
    // half its bytes, then killed before the rename.
    if (std::getenv("VAEDNN_FAULT_KILL_IN_CHECKPOINT_WRITE") != nullptr) {
        hooks.checkpoint_write.before_rename = [](const fs::path& temporary) {
            std::error_code ec;
            const std::uintmax_t size = fs::file_size(temporary, ec);
            if (!ec) fs::resize_file(temporary, size / 2, ec);
            ::kill(::getpid(), SIGKILL);
        };
    }
    return hooks;
}

// Keeps metrics.csv consistent with the checkpoint a run resumes from: rows of epochs the
// checkpoint had not finished (a crash between the two writes) are dropped. Every row is this
// run's (one run per folder), so each takes the checkpoint's binarization: a file written before
// metrics.csv had that column says nothing of it.
std::vector<vaednn::EpochMetrics> history_until(const fs::path& csv, int epochs_done,
                                                vaednn::Binarization binarize) {
    std::vector<vaednn::EpochMetrics> rows = vaednn::read_metrics_csv(csv);
    const std::size_t read = rows.size();
    std::erase_if(rows, [&](const vaednn::EpochMetrics& m) { return m.epoch > epochs_done; });
    for (vaednn::EpochMetrics& m : rows) m.binarize = binarize;
    if (rows.size() != read) vaednn::write_metrics_csv(csv, rows);
    return rows;
}

std::string resume_command(const fs::path& checkpoint, int epochs, const fs::path& out) {
    return fmt::format("vae_train --resume {} --epochs {} --out {}",
                       shell_quote(checkpoint.string()), epochs, shell_quote(out.string()));
}

// Where the last good checkpoint stands, for a message that tells the truth about it.
struct SavedCheckpoint {
    bool exists = false;
    int epochs_done = 0;
    std::size_t next_batch = 0;

    std::string describe(const fs::path& file) const {
        if (!exists) return "no checkpoint was written";
        return fmt::format(
            "the last good checkpoint {} (epoch {}{}) is unchanged", file.string(), epochs_done,
            next_batch == 0 ? std::string() : fmt::format(" and {} batches", next_batch));
    }
};

// The console during an epoch, and the bridge from the signal handler's flag to the stop token:
// both on the training thread, after every step.
class Console : public vaednn::TrainingObserver {
  public:
    Console(const vaednn::app::StopSignal& signal, std::stop_source& stop, bool progress_bar)
        : signal_(signal), stop_(stop), progress_bar_(progress_bar) {}

    void on_step(const vaednn::StepReport& step) override {
        if (progress_bar_) {
            const std::size_t width = 30, filled = step.batch * width / step.batches;
            say("\rEpoch {} [{}{}] {}/{}", step.epoch, std::string(filled, '#'),
                std::string(width - filled, '.'), step.batch, step.batches);
        }
        (void)stop_requested();
    }

    // True once a signal came; the first check after it requests the stop.
    bool stop_requested() {
        if (signal_.requested()) stop_.request_stop();
        return stop_.stop_requested();
    }

  private:
    const vaednn::app::StopSignal& signal_;
    std::stop_source& stop_;
    bool progress_bar_;
};

// The importance-sampled log p(x) of the whole test set, once training is done (--eval-k).
void report_log_likelihood(vaednn::TrainingRun& run, std::size_t k) {
    const vaednn::ImageSet& test = run.data().test;
    std::vector<std::uint32_t> indices(test.count);
    for (std::size_t i = 0; i < test.count; ++i) indices[i] = static_cast<std::uint32_t>(i);
    std::vector<float> images(test.count * test.pixels_per_image());
    vaednn::gather_batch(test, indices, images);
    // A model trained on binarised images is judged on the binarised test set, as each epoch's.
    if (run.trainer().options().binarize != vaednn::Binarization::none) {
        vaednn::binarize_fixed(images, test.pixels_per_image(), 0);
    }
    vaednn::LogLikelihoodOptions options;
    options.samples = k;
    const vaednn::LogLikelihoodResult r =
        vaednn::estimate_log_likelihood(run.model(), images, options);
    say("====> Test set: -ELBO {:.4f}  log p(x) {:.4f} ± {:.4f} nats (k = {}, {} test images, "
        "{:.2f} s)\n",
        r.negative_elbo, r.log_likelihood, r.log_likelihood_standard_error, k, r.images, r.seconds);
}

// The end of a run: what it reached, where it is and what to do with it.
void print_summary(const std::vector<vaednn::EpochMetrics>& history, double wall_seconds,
                   const fs::path& out, const fs::path& checkpoint) {
    if (history.empty()) return;
    const auto best =
        std::min_element(history.begin(), history.end(),
                         [](const auto& a, const auto& b) { return a.test.loss < b.test.loss; });
    const auto minutes = static_cast<int>(wall_seconds / 60.0);
    const std::string took =
        minutes > 0 ? fmt::format("{} min {:.0f} s", minutes, wall_seconds - 60.0 * minutes)
                    : fmt::format("{:.1f} s", wall_seconds);
    say("\ndone: epoch {} after {} (this process); test -ELBO {:.4f} nats, the best {:.4f} after "
        "epoch {}\n",
        history.back().epoch, took, history.back().test.loss, best->test.loss, best->epoch);
    say("files in {}: checkpoint.safetensors, metrics.csv, timing.json, loss_curves.png, "
        "samples_epoch_{:03}.png, reconstruction_epoch_{:03}.png, latent_map.png\n",
        out.string(), history.back().epoch, history.back().epoch);
    say("pictures:       vae_sample --checkpoint {}\nlog-likelihood: vae_eval {}\n",
        shell_quote(checkpoint.string()), shell_quote(checkpoint.string()));
}

int run(const Options& o, const CLI::App& cli, vaednn::Communicator& world) {
    // Rank 0 alone speaks and writes: the others train beside it, silent.
    const bool root = world.is_root();
    const vaednn::ThreadChoice thread_choice =
        vaednn::app::use_threads(root ? "vae_train" : "", o.threads, o.oversubscribe, &world);
    const int threads = thread_choice.used;
    const vaednn::RuntimeInfo runtime = vaednn::runtime_info();

    vaednn::TrainingRun run =
        o.resume.empty()
            ? start_fresh(o, fault_hooks_from_environment(world.rank()))
            : resume_from(o, cli, threads, root, fault_hooks_from_environment(world.rank()));
    run.distribute(world);
    // The folder is taken only once the model and data are known good, so a run that fails to
    // start changes nothing in it.
    const vaednn::RunFolder::Mode mode = o.overwrite        ? vaednn::RunFolder::Mode::overwrite
                                         : o.resume.empty() ? vaednn::RunFolder::Mode::fresh
                                                            : vaednn::RunFolder::Mode::resume;
    std::optional<const vaednn::RunFolder> folder;
    if (root) folder.emplace(o.out_folder(), mode, o.resume);
    const fs::path out = root ? folder->path() : o.out_folder();
    const fs::path checkpoint = root ? folder->checkpoint() : fs::path();
    if (root) {
        run.set_history(
            history_until(folder->metrics(), run.epochs_done(), run.trainer().options().binarize));
    }
    SavedCheckpoint saved;
    std::error_code exists_ec;
    if (root && fs::exists(checkpoint, exists_ec)) {  // the checkpoint this run resumed from
        saved = {true, run.epochs_done(), run.progress().next_batch};
    }

    // From here on a signal checkpoints: installed before the start table, which tests wait for.
    const vaednn::app::StopSignal signal;
    std::stop_source stop;
    const bool progress_bar = root && !o.quiet && isatty(STDOUT_FILENO) != 0;
    Console console(signal, stop, progress_bar);
    if (root) print_start(o, run, threads, runtime, world, out);
    if (root && !o.quiet && o.resume.empty()) {
        for (const auto& [split, set] :
             {std::pair{"train", &run.data().train}, {"test", &run.data().test}}) {
            const vaednn::ImageSetSummary s = vaednn::summarize(*set);
            say("{:<6} {:>6} images  {}x{}  pixel mean {:.4f}\n", split, s.count, s.rows, s.cols,
                s.pixel_mean);
        }
    }

    run.model().set_profiling(true);
    using Clock = std::chrono::steady_clock;
    const Clock::time_point started = Clock::now();
    auto save = [&] {
        if (root) run.save_checkpoint(checkpoint);
        saved = {root, run.epochs_done(), run.progress().next_batch};
    };
    auto finish = [&] {
        if (!root) return;
        vaednn::TimingReport report = run.timing(runtime, threads);
        report.threads_requested = thread_choice.requested;
        vaednn::write_timing_json(folder->timing(), report);
        if (!o.quiet) say("\n{}", vaednn::format_timing_table(report));
    };

    while (run.epochs_done() < o.epochs) {
        const int epoch = run.epochs_done() + 1;
        std::optional<vaednn::EpochMetrics> metrics;
        try {
            metrics = run.run_epoch(&console, stop.get_token());
        } catch (const vaednn::NumericalError& e) {
            // The guard runs before anything of the epoch is written: the checkpoint and
            // metrics.csv on disk are the last good ones (rank 0's to tell).
            if (!root) throw;
            throw vaednn::NumericalError(
                fmt::format("{}; training stopped and {}", e.what(), saved.describe(checkpoint)));
        }
        if (progress_bar) say("\r{}\r", std::string(60, ' '));

        if (!metrics) {  // stopped by a signal mid-epoch (every process agreed on the step)
            save();
            if (root) {
                say("vae_train: stopped by signal {} at epoch {}, batch {} of {}; checkpoint "
                    "written to {}\nresume with: {}\n",
                    signal.signal_number(), epoch, run.progress().next_batch,
                    run.batches_per_epoch(), checkpoint.string(),
                    resume_command(checkpoint, o.epochs, out));
            }
            finish();
            return 0;
        }

        if (root) {
            vaednn::write_metrics_csv(folder->metrics(), run.history());
            say("====> Epoch: {}  loss {:.4f}  recon {:.4f}  KL {:.4f}  test loss {:.4f}  "
                "images/s {:.0f}  {:.2f} s\n",
                metrics->epoch, metrics->train.loss, metrics->train.reconstruction,
                metrics->train.kl, metrics->test.loss, metrics->images_per_second,
                metrics->train_seconds);
            // Pictures are for people: one that cannot be written is reported and costs nothing.
            // They come before the checkpoint, which so records the prior-sample stream they
            // used (rank 0's: the other processes draw no prior samples).
            try {
                vaednn::write_epoch_figures(out, run.model(), run.data().test, metrics->epoch,
                                            run.history());
            } catch (const vaednn::Error& e) {
                complain("vae_train: warning: epoch {}'s figures were not written: {}\n",
                         metrics->epoch, e.what());
            }
        }
        const bool last = metrics->epoch == o.epochs;
        // Every process stops after the same epoch: a signal may reach them at different steps.
        const bool stopping = world.any(console.stop_requested());
        if (last || metrics->epoch % o.checkpoint_every == 0 || stopping) save();
        if (stopping && !last) {
            if (root) {
                say("vae_train: stopped by signal {} after epoch {}; checkpoint written to {}\n"
                    "resume with: {}\n",
                    signal.signal_number(), metrics->epoch, checkpoint.string(),
                    resume_command(checkpoint, o.epochs, out));
            }
            finish();
            return 0;
        }
    }
    finish();
    if (root) {
        // The latent map once, at the end: every epoch's would encode the whole test set.
        try {
            vaednn::write_latent_figure(out / "latent_map.png", run.model(), run.data().test);
        } catch (const vaednn::Error& e) {
            complain("vae_train: warning: the latent map was not written: {}\n", e.what());
        }
        if (o.eval_k > 0) report_log_likelihood(run, o.eval_k);
        if (!o.quiet) {
            print_summary(run.history(),
                          std::chrono::duration<double>(Clock::now() - started).count(), out,
                          checkpoint);
        }
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
    cli.add_option("--epochs", options.epochs, "Train until this many epochs are done")
        ->check(vaednn::app::integer_between(1, 100000));
    cli.add_option("--batch-size", options.batch_size, "Images per training step")
        ->check(vaednn::app::integer_between<std::size_t>(1, vaednn::kMaxBatchSize));
    cli.add_option("--lr", options.learning_rate, "Adam's learning rate")
        ->check(vaednn::app::positive_at_most(1.0));
    cli.add_option("--latent", options.latent, "Size of the latent code z")
        ->check(vaednn::app::integer_between(1, 4096));
    cli.add_option("--hidden", options.hidden, "LSTM hidden size")
        ->check(vaednn::app::integer_between(1, 8192));
    cli.add_option("--likelihood", options.likelihood,
                   "bernoulli (BCE on logits) or gaussian (unit variance)")
        ->check(CLI::IsMember({"bernoulli", "gaussian"}));
    cli.add_option("--seed", options.seed, "Seed of the initial weights, noise and data order");
    cli.add_option("--threads", options.threads,
                   "Compute threads (oneDNN's OpenMP and oneTBB); default and most: the CPUs this "
                   "process may use (affinity and cgroup quota)")
        ->check(vaednn::app::integer_between(1, 1024));
    cli.add_flag("--oversubscribe", options.oversubscribe,
                 "Run --threads as given even above the CPUs this process may use");
    cli.add_option("--limit", options.limit, "Train on the first N images only (0: all)");
    cli.add_option("--out", options.out,
                   "Folder for metrics, figures, timing and checkpoints (default: out, or the "
                   "folder of the checkpoint given to --resume)");
    cli.add_flag("--overwrite", options.overwrite,
                 "Replace the files of another run that --out holds (without it such a folder is "
                 "refused)");
    cli.add_option("--max-memory", options.max_memory,
                   "Refuse a configuration whose model, batch and data would need more memory "
                   "than this (bytes, or with a unit: 8GB, 512MB; default: 3/4 of the RAM)")
        ->transform(CLI::AsSizeValue(false));
    cli.add_option("--checkpoint-every", options.checkpoint_every,
                   "Write the checkpoint every N epochs (and always at the end or on Ctrl-C)")
        ->check(vaednn::app::integer_between(1, 100000));
    cli.add_option("--resume", options.resume,
                   "Continue the run saved in this checkpoint (the model, data order and "
                   "position come from it)");
    cli.add_flag("--quiet", options.quiet, "Print only the start table, epoch lines and errors");
    cli.add_option("--binarize", options.binarize,
                   "none: train on grey levels; dynamic: on a fresh seeded Bernoulli draw of "
                   "each image every epoch (the test set binarized once)")
        ->check(CLI::IsMember({"none", "dynamic"}));
    cli.add_option("--eval-k", options.eval_k,
                   "At the end, report the test set's importance-sampled log p(x) with this many "
                   "samples per image (0: off; vae_eval does more)")
        ->check(vaednn::app::integer_between<std::size_t>(0, 1000000));
    return vaednn::app::run_main("vae_train", cli, argc, argv, [&] {
        vaednn::Communicator world = vaednn::Communicator::from_environment();
        try {
            return run(options, cli, world);
        } catch (...) {
            if (world.size() == 1) throw;
            // The other processes may be waiting for this one in a sum: after saying why, end
            // them all at once (Open MPI's mpirun then exits with this code). The last checkpoint
            // is whole: rank 0 writes it atomically.
            const int code = vaednn::app::report_exception(
                fmt::format("vae_train: rank {} of {}", world.rank(), world.size()),
                std::current_exception());
            world.abort(code);
        }
    });
}
