// vae_sample: pictures from a trained model's checkpoint — a grid of prior samples, test images
// above their reconstructions, a walk through latent space between two test images, the decoded
// manifold (the latent plane, or the test set's two principal directions) and the latent map.
// It writes the pictures asked for; with none asked, samples, one reconstruction per class, the
// manifold and the latent map.
#include <fmt/core.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app_main.hpp"
#include "console.hpp"
#include "threads.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/epoch_figures.hpp"
#include "vaednn/error.hpp"
#include "vaednn/figures.hpp"
#include "vaednn/latent_map.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace {

namespace fs = std::filesystem;

struct Options {
    std::string checkpoint;
    std::string out = "samples";
    std::string data_dir;  // empty: where the checkpoint's run read its data
    std::size_t count = 64;
    std::uint64_t seed = 0;
    std::vector<std::size_t> reconstruct;  // empty: the first test image of each class
    std::vector<std::size_t> interpolate = {0, 1};
    std::size_t steps = 10;
    std::size_t manifold = 20;
    int threads = 0;  // 0: every CPU this process may use
    // Which pictures: those whose options were given, or with none given the default set.
    bool samples = true, reconstructions = true, interpolation = false, manifold_grid = true,
         latent_map = true;
};

// Posterior means of test images `indices`.
std::vector<float> encode_means(vaednn::Vae& vae, const vaednn::ImageSet& test,
                                const std::vector<std::size_t>& indices,
                                std::vector<float>* images) {
    const std::size_t pixels = test.pixels_per_image();
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    std::vector<std::uint32_t> chosen;
    for (std::size_t i : indices) {
        if (i >= test.count) {
            throw vaednn::ConfigError(
                fmt::format("test image {} does not exist: the test set holds {}", i, test.count));
        }
        chosen.push_back(static_cast<std::uint32_t>(i));
    }
    std::vector<float> batch(chosen.size() * pixels);
    vaednn::gather_batch(test, chosen, batch);
    std::vector<float> mu(chosen.size() * latent), logvar(mu.size());
    vae.encode(batch, mu, logvar);
    if (images != nullptr) *images = std::move(batch);
    return mu;
}

// Test images above their reconstructions, captioned with their index and label.
void write_reconstruction_picture(const Options& o, vaednn::Vae& vae, const vaednn::ImageSet& test,
                                  const fs::path& file) {
    const std::size_t rows = test.rows, cols = test.cols, pixels = rows * cols;
    std::vector<std::size_t> chosen = o.reconstruct;
    if (chosen.empty()) {
        for (std::uint32_t i : vaednn::first_of_each_class(test)) chosen.push_back(i);
    }
    std::vector<float> originals;
    const std::vector<float> mu = encode_means(vae, test, chosen, &originals);
    std::vector<float> decoded(chosen.size() * pixels);
    vae.decode(mu, decoded);
    std::vector<std::string> captions;
    for (std::size_t i : chosen) {
        captions.push_back(i < test.labels.size() ? fmt::format("#{}: {}", i, test.labels[i])
                                                  : fmt::format("#{}", i));
    }
    vaednn::write_reconstructions(file, originals, decoded, chosen.size(), rows, cols, captions);
}

// A straight walk between two test images' posterior means, endpoints included.
void write_interpolation_picture(const Options& o, vaednn::Vae& vae, const vaednn::ImageSet& test,
                                 const fs::path& file) {
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    const std::size_t pixels = test.pixels_per_image();
    const std::vector<float> ends = encode_means(vae, test, o.interpolate, nullptr);
    std::vector<float> path(o.steps * latent);
    for (std::size_t s = 0; s < o.steps; ++s) {
        const float t =
            o.steps == 1 ? 0.0f : static_cast<float>(s) / static_cast<float>(o.steps - 1);
        for (std::size_t j = 0; j < latent; ++j) {
            path[s * latent + j] = (1.0f - t) * ends[j] + t * ends[latent + j];
        }
    }
    std::vector<float> walk(o.steps * pixels);
    vae.decode(path, walk);
    vaednn::write_image_grid(file, walk, o.steps, test.rows, test.cols, o.steps);
}

int run(const Options& o) {
    vaednn::app::use_threads("vae_sample", o.threads, false);
    const vaednn::Checkpoint checkpoint = vaednn::read_checkpoint(o.checkpoint);
    vaednn::Vae vae = vaednn::restore_model(checkpoint);
    // --seed picks where the prior-sample stream starts, so each seed gives its own grid.
    vae.set_noise_state({vae.noise_state().training, o.seed});
    // A model checkpoint (save_checkpoint(file, vae)) names no data: without --data, only the
    // pictures that need no test images are drawn.
    const fs::path data_dir =
        o.data_dir.empty() ? fs::path(checkpoint.info.data_dir) : fs::path(o.data_dir);
    std::optional<vaednn::Dataset> data;
    if (!data_dir.empty()) {
        data = vaednn::load_dataset(data_dir, checkpoint.info.dataset.empty()
                                                  ? data_dir.filename().string()
                                                  : checkpoint.info.dataset);
    }
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    const auto rows = static_cast<std::size_t>(vae.config().image_rows);
    const auto cols = static_cast<std::size_t>(vae.config().image_cols);
    const std::size_t pixels = rows * cols;
    if (data && (data->test.rows != rows || data->test.cols != cols)) {
        throw vaednn::DataError(vaednn::DataErrorKind::bad_shape, data_dir,
                                fmt::format("the model takes {}x{} images but the folder holds "
                                            "{}x{}",
                                            rows, cols, data->test.rows, data->test.cols));
    }

    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec)
        throw vaednn::Error(
            fmt::format("{}: cannot create the output folder: {}", o.out, ec.message()));
    const fs::path out = o.out;

    std::vector<std::string> written;
    const auto needs_data = [&](const char* picture) {
        if (data) return true;
        vaednn::app::say("vae_sample: no {}: {} names no data, pass --data\n", picture,
                         o.checkpoint);
        return false;
    };
    if (o.samples) {
        std::vector<float> samples(o.count * pixels);
        vae.sample(samples);
        vaednn::write_image_grid(out / "samples.png", samples, o.count, rows, cols, 8);
        written.push_back("samples.png");
    }
    if (o.reconstructions && needs_data("reconstructions")) {
        write_reconstruction_picture(o, vae, data->test, out / "reconstructions.png");
        written.push_back("reconstructions.png");
    }
    if (o.interpolation && needs_data("interpolation")) {
        write_interpolation_picture(o, vae, data->test, out / "interpolation.png");
        written.push_back("interpolation.png");
    }
    // The test set's posterior means, for the latent map and a manifold beyond two dimensions.
    std::vector<float> means;
    if (data && (o.latent_map || (o.manifold_grid && latent > 2))) {
        means = vaednn::encode_means(vae, data->test);
    }
    if (o.manifold_grid) {
        // A 2-D latent space is its own plane; a larger one is walked along the test set's first
        // two principal directions, which need the test set.
        std::optional<vaednn::LatentPlane> plane;
        if (latent == 2) {
            // The latent plane itself, spanning the prior: unit spread along both axes.
            plane = vaednn::LatentPlane{2,      false,     {0.0, 0.0}, {{{1.0, 0.0}, {0.0, 1.0}}},
                                        {1, 1}, {0.5, 0.5}};
        } else if (!means.empty()) {
            plane = vaednn::principal_plane(means, latent);
        } else {
            vaednn::app::say(
                "vae_sample: no manifold: a {}-dimensional latent space is walked "
                "along the test set's principal directions; pass --data\n",
                latent);
        }
        if (plane) {
            const std::size_t m = o.manifold;
            std::vector<float> manifold(m * m * pixels);
            vae.decode(vaednn::plane_grid(*plane, m), manifold);
            vaednn::write_image_grid(out / "manifold.png", manifold, m * m, rows, cols, m, 1);
            written.push_back("manifold.png");
        }
    }
    if (o.latent_map && needs_data("latent map")) {
        vaednn::write_latent_map(out / "latent_map.png", means, data->test.labels,
                                 vaednn::principal_plane(means, latent));
        written.push_back("latent_map.png");
    }
    vaednn::app::say("vae_sample: wrote {} to {}\n", fmt::join(written, ", "), out.string());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App cli{
        "Pictures from a vae_train checkpoint: prior samples, reconstructions, a latent "
        "interpolation, the manifold and the latent map. Writes the pictures whose options are "
        "given; with none, samples, reconstructions, the manifold and the latent map",
        "vae_sample"};
    cli.option_defaults()->always_capture_default();
    cli.add_option("--checkpoint", o.checkpoint,
                   "A checkpoint written by vae_train or vaednn::save_checkpoint")
        ->required();
    cli.add_option("--out", o.out, "Folder for the PNG files");
    cli.add_option("--data", o.data_dir, "Dataset folder (default: the one the run trained on)");
    cli.add_option("--count", o.count, "Prior samples to draw")
        ->check(vaednn::app::integer_between<std::size_t>(1, 4096));
    cli.add_option("--seed", o.seed, "Which prior samples to draw");
    cli.add_option("--reconstruct", o.reconstruct,
                   "Test images to reconstruct (default: the first of each class)")
        ->delimiter(',')
        ->expected(1, 64);
    cli.add_option("--interpolate", o.interpolate, "Two test images to walk between")
        ->delimiter(',')
        ->expected(2);
    cli.add_option("--steps", o.steps, "Images along the walk")
        ->check(vaednn::app::integer_between<std::size_t>(1, 100));
    cli.add_option("--manifold", o.manifold,
                   "Images per side of the manifold: the latent plane, or beyond 2 dimensions "
                   "the test set's first two principal directions")
        ->check(vaednn::app::integer_between<std::size_t>(1, 60));
    bool latent_map = false;
    cli.add_flag("--latent-map", latent_map,
                 "The test set's posterior means on their principal plane, coloured by label");
    cli.add_option("--threads", o.threads,
                   "Compute threads (default and most: the CPUs this process may use)")
        ->check(vaednn::app::integer_between(1, 1024));
    return vaednn::app::run_main("vae_sample", cli, argc, argv, [&] {
        // Only the pictures asked for; none asked: the default set.
        const auto given = [&](const char* name) { return cli.get_option(name)->count() > 0; };
        if (given("--count") || given("--reconstruct") || given("--interpolate") ||
            given("--manifold") || latent_map) {
            o.samples = given("--count");
            o.reconstructions = given("--reconstruct");
            o.interpolation = given("--interpolate");
            o.manifold_grid = given("--manifold");
            o.latent_map = latent_map;
        }
        return run(o);
    });
}
