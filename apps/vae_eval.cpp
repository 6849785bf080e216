// vae_eval: how good a trained model is on held-out images — the negative ELBO (reconstruction
// and KL) and the importance-sampled log-likelihood log p(x) with k samples per image (the IWAE
// bound, which tightens towards log p(x) as k grows), in nats per image, with standard errors.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "app_main.hpp"
#include "console.hpp"
#include "threads.hpp"
#include "vaednn/binarize.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace {

namespace fs = std::filesystem;
using vaednn::app::say;

struct Options {
    std::string checkpoint;
    std::string data_dir;  // empty: where the checkpoint's run read its data
    std::string split = "test";
    std::size_t samples = 5000;
    std::size_t first = 0;  // the split's index of the first image evaluated
    std::size_t limit = 0;  // 0: every image from `first` on
    std::uint64_t seed = 0;
    int threads = 0;       // 0: every CPU this process may use
    std::string binarize;  // empty: as the checkpoint trained (fixed after dynamic, else none)
    std::string json;
    std::vector<std::string> combine;  // reports of pieces to put together, instead of evaluating
};

// A bar on a terminal; elsewhere a plain line at every tenth of the work, so a log stays short.
class ProgressPrinter {
  public:
    explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}

    void operator()(const vaednn::EvaluationProgress& p) {
        const std::size_t tenths = p.samples_done * 10 / p.samples_total;
        if (terminal_) {
            const std::size_t width = 30, filled = p.samples_done * width / p.samples_total;
            say("\r[{}{}] {}/{} images", std::string(filled, '#'), std::string(width - filled, '.'),
                p.images_done, p.images_total);
        } else if (tenths > printed_tenths_) {
            printed_tenths_ = tenths;
            say("vae_eval: {}% ({} of {} images)\n", tenths * 10, p.images_done, p.images_total);
        }
    }
    void finish() const {
        if (terminal_) say("\r{}\r", std::string(60, ' '));
    }

  private:
    bool terminal_;
    std::size_t printed_tenths_ = 0;
};

// Images first .. first + limit - 1 of the split (to its end for limit 0).
std::vector<float> images_of(const vaednn::ImageSet& set, std::size_t first, std::size_t limit) {
    if (first >= set.count) {
        throw vaednn::ConfigError(
            fmt::format("--first {}: the split has {} images (the first is 0)", first, set.count));
    }
    const std::size_t rest = set.count - first;
    const std::size_t count = limit == 0 ? rest : std::min(limit, rest);
    std::vector<std::uint32_t> indices(count);
    for (std::size_t i = 0; i < count; ++i) indices[i] = static_cast<std::uint32_t>(first + i);
    std::vector<float> images(count * set.pixels_per_image());
    vaednn::gather_batch(set, indices, images);
    return images;
}

void print_result(const vaednn::LogLikelihoodResult& r) {
    say("-ELBO        {:.4f} ± {:.4f} nats  (reconstruction {:.4f}, KL {:.4f})\n", r.negative_elbo,
        r.negative_elbo_standard_error, r.reconstruction, r.kl);
    say("log p(x)     {:.4f} ± {:.4f} nats  (k = {}, importance sampled)\n", r.log_likelihood,
        r.log_likelihood_standard_error, r.samples);
    say("images       {}   time {:.2f} s\n", r.images, r.seconds);
}

int evaluate(const Options& o) {
    const int threads = vaednn::app::use_threads("vae_eval", o.threads, false).used;
    const vaednn::Checkpoint checkpoint = vaednn::read_checkpoint(o.checkpoint);
    vaednn::Vae vae = vaednn::restore_model(checkpoint);
    const fs::path data_dir =
        o.data_dir.empty() ? fs::path(checkpoint.info.data_dir) : fs::path(o.data_dir);
    if (data_dir.empty()) {
        throw vaednn::ConfigError(
            fmt::format("{} names no data (a model checkpoint): pass --data DIR", o.checkpoint));
    }
    const std::string dataset =
        checkpoint.info.dataset.empty() ? data_dir.filename().string() : checkpoint.info.dataset;
    const vaednn::Dataset data = vaednn::load_dataset(data_dir, dataset);
    const vaednn::ImageSet& set = o.split == "train" ? data.train : data.test;
    const vaednn::VaeConfig& config = vae.config();
    if (set.rows != static_cast<std::size_t>(config.image_rows) ||
        set.cols != static_cast<std::size_t>(config.image_cols)) {
        throw vaednn::DataError(
            vaednn::DataErrorKind::bad_shape, data_dir,
            fmt::format("the model takes {}x{} images but the folder holds "
                        "{}x{}",
                        config.image_rows, config.image_cols, set.rows, set.cols));
    }
    const std::string binarize = !o.binarize.empty() ? o.binarize
                                 : checkpoint.info.trainer.binarize == vaednn::Binarization::dynamic
                                     ? "fixed"
                                     : "none";
    std::vector<float> images = images_of(set, o.first, o.limit);
    if (binarize == "fixed") vaednn::binarize_fixed(images, set.pixels_per_image(), o.first);
    const std::size_t count = images.size() / set.pixels_per_image();
    const std::string which = o.first == 0 ? fmt::format("{} images", count)
                                           : fmt::format("{} images from #{}", count, o.first);
    say("vae_eval: {} ({} {}, {}{}), k = {}, seed {}, {} thread{}\n", o.checkpoint, dataset,
        o.split, which, binarize == "fixed" ? ", binarized" : "", o.samples, o.seed, threads,
        threads == 1 ? "" : "s");

    ProgressPrinter printer(isatty(STDOUT_FILENO) != 0);
    vaednn::LogLikelihoodOptions options;
    options.samples = o.samples;
    options.seed = o.seed;
    options.first_image = o.first;
    const vaednn::LogLikelihoodResult r = vaednn::estimate_log_likelihood(
        vae, images, options, [&](const vaednn::EvaluationProgress& p) { printer(p); });
    printer.finish();

    print_result(r);
    if (!o.json.empty()) {
        vaednn::EvaluationReport report;
        report.checkpoint = o.checkpoint;
        report.checkpoint_crc32 = vaednn::checkpoint_fingerprint(checkpoint.file);
        report.dataset = dataset;
        report.data_dir = data_dir.string();
        report.split = o.split;
        report.binarize = binarize;
        report.seed = o.seed;
        report.threads = threads;
        report.result = r;
        report.first_image = o.first;
        vaednn::write_evaluation_json(o.json, report);
        say("vae_eval: wrote {}\n", o.json);
    }
    return 0;
}

// --combine: the reports of a run's pieces as the report of one run over all their images.
int combine(const Options& o) {
    // Every piece is held until all are read: a bound on their images bounds the memory (16 bytes
    // an image), whatever number of files the command line names.
    constexpr std::size_t kMostImages = 100'000'000;
    std::vector<vaednn::EvaluationReport> pieces;
    std::size_t images = 0;
    for (const std::string& file : o.combine) {
        pieces.push_back(vaednn::read_evaluation_json(file));
        images += pieces.back().result.images;
        if (images > kMostImages) {
            throw vaednn::ConfigError(fmt::format(
                "--combine: the pieces up to {} hold more than {} images", file, kMostImages));
        }
    }
    const vaednn::EvaluationReport whole = vaednn::combine_evaluations(std::move(pieces));
    const vaednn::LogLikelihoodResult& r = whole.result;
    say("vae_eval: {} piece{} of {} ({} {}, images {}..{}{}), k = {}, seed {}\n", o.combine.size(),
        o.combine.size() == 1 ? "" : "s", whole.checkpoint, whole.dataset, whole.split,
        whole.first_image, whole.first_image + r.images - 1,
        whole.binarize == "fixed" ? ", binarized" : "", r.samples, whole.seed);
    print_result(r);
    if (!o.json.empty()) {
        vaednn::write_evaluation_json(o.json, whole);
        say("vae_eval: wrote {}\n", o.json);
    }
    return 0;
}

int run(const Options& o) {
    if (!o.combine.empty()) return combine(o);
    if (o.checkpoint.empty()) {
        throw vaednn::ConfigError(
            "a checkpoint is required, or --combine with the reports of a run's pieces "
            "(see --help)");
    }
    return evaluate(o);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App cli{
        "Evaluate a vae_train checkpoint on held-out images: the negative ELBO and the "
        "importance-sampled log-likelihood log p(x), in nats per image",
        "vae_eval"};
    cli.option_defaults()->always_capture_default();
    std::vector<CLI::Option*> evaluation_options = {
        cli.add_option("checkpoint,--checkpoint", o.checkpoint,
                       "A checkpoint written by vae_train or vaednn::save_checkpoint"),
        cli.add_option("--data", o.data_dir,
                       "Dataset folder (default: the one the run trained on)"),
        cli.add_option("--split", o.split, "Which images to evaluate")
            ->check(CLI::IsMember({"test", "train"})),
        cli.add_option("--k", o.samples,
                       "Importance samples per image (1 gives the ELBO's estimate)")
            ->check(vaednn::app::integer_between<std::size_t>(1, 1000000)),
        cli.add_option("--first", o.first,
                       "Start at image N of the split: a long evaluation run in pieces (--first 0 "
                       "--limit 1000 --json a.json, --first 1000 --limit 1000 --json b.json, ...) "
                       "gives every image the numbers one run would; --combine puts them together"),
        cli.add_option("--limit", o.limit,
                       "Evaluate N images only (0: all, to the end of the split)"),
        cli.add_option("--seed", o.seed, "Which importance samples to draw"),
        cli.add_option("--threads", o.threads,
                       "Compute threads (default and most: the CPUs this process may use)")
            ->check(vaednn::app::integer_between(1, 1024)),
        cli.add_option("--binarize", o.binarize,
                       "none: grey levels as targets; fixed: one seeded Bernoulli draw per pixel, "
                       "the same for every run (default: fixed for a model trained with "
                       "--binarize dynamic, else none)")
            ->check(CLI::IsMember({"none", "fixed"})),
    };
    CLI::Option* combine =
        cli.add_option("--combine", o.combine,
                       "Evaluate nothing: put together the --json reports of a run's pieces (the "
                       "same checkpoint, split, k and seed; images without gaps or overlaps) and "
                       "report them as one run over all their images")
            ->expected(1, -1);
    for (CLI::Option* option : evaluation_options) combine->excludes(option);
    cli.add_option("--json", o.json, "Also write the results, per image too, to this JSON file");
    return vaednn::app::run_main("vae_eval", cli, argc, argv, [&] { return run(o); });
}
