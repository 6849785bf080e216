// vae_sample: pictures from a trained model's checkpoint — a grid of prior samples, chosen test
// images above their reconstructions, a walk through latent space between two test images, and,
// for a 2-D latent space, the decoded manifold.
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
#include "vaednn/error.hpp"
#include "vaednn/figures.hpp"
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
    std::vector<std::size_t> reconstruct = {0, 1, 2, 3, 4, 5, 6, 7};
    std::vector<std::size_t> interpolate = {0, 1};
    std::size_t steps = 10;
    std::size_t manifold = 20;
    int threads = 0;  // 0: every CPU this process may use
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

// Chosen test images above their reconstructions, and a walk between two of them.
void write_test_image_pictures(const Options& o, vaednn::Vae& vae, const vaednn::ImageSet& test,
                               const fs::path& out) {
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    const std::size_t rows = test.rows, cols = test.cols, pixels = rows * cols;
    std::vector<float> originals;
    const std::vector<float> mu = encode_means(vae, test, o.reconstruct, &originals);
    const std::size_t n = o.reconstruct.size();
    std::vector<float> grid = originals;
    grid.resize(2 * n * pixels);
    vae.decode(mu, std::span<float>(grid.data() + n * pixels, n * pixels));
    vaednn::write_image_grid(out / "reconstructions.png", grid, 2 * n, rows, cols, n);

    // Straight lines between the two posterior means, endpoints included.
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
    vaednn::write_image_grid(out / "interpolation.png", walk, o.steps, rows, cols, o.steps);
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

    std::vector<float> samples(o.count * pixels);
    vae.sample(samples);
    vaednn::write_image_grid(out / "samples.png", samples, o.count, rows, cols, 8);

    std::vector<std::string> written = {"samples.png"};
    if (data) {
        write_test_image_pictures(o, vae, data->test, out);
        written.insert(written.end(), {"reconstructions.png", "interpolation.png"});
    }

    if (latent == 2) {
        // z on an even grid over [-2.5, 2.5]^2, which holds ~98% of the prior's mass per axis.
        const std::size_t m = o.manifold;
        std::vector<float> z(m * m * 2);
        for (std::size_t y = 0; y < m; ++y) {
            for (std::size_t x = 0; x < m; ++x) {
                const auto at = [&](std::size_t i) {
                    return m == 1
                               ? 0.0f
                               : -2.5f + 5.0f * static_cast<float>(i) / static_cast<float>(m - 1);
                };
                z[(y * m + x) * 2] = at(x);
                z[(y * m + x) * 2 + 1] = at(m - 1 - y);
            }
        }
        std::vector<float> manifold(m * m * pixels);
        vae.decode(z, manifold);
        vaednn::write_image_grid(out / "manifold.png", manifold, m * m, rows, cols, m, 1);
        written.push_back("manifold.png");
    }
    vaednn::app::say("vae_sample: wrote {} to {}\n", fmt::join(written, ", "), out.string());
    if (!data) {
        vaednn::app::say(
            "vae_sample: {} names no data: pass --data for reconstructions and an "
            "interpolation\n",
            o.checkpoint);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App cli{
        "Pictures from a vae_train checkpoint: prior samples, reconstructions, a latent "
        "interpolation, and the manifold of a 2-D latent space",
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
    cli.add_option("--reconstruct", o.reconstruct, "Test images to reconstruct")
        ->delimiter(',')
        ->expected(1, 64);
    cli.add_option("--interpolate", o.interpolate, "Two test images to walk between")
        ->delimiter(',')
        ->expected(2);
    cli.add_option("--steps", o.steps, "Images along the walk")
        ->check(vaednn::app::integer_between<std::size_t>(1, 100));
    cli.add_option("--manifold", o.manifold, "Images per side of the 2-D manifold")
        ->check(vaednn::app::integer_between<std::size_t>(1, 60));
    cli.add_option("--threads", o.threads,
                   "Compute threads (default and most: the CPUs this process may use)")
        ->check(vaednn::app::integer_between(1, 1024));
    return vaednn::app::run_main("vae_sample", cli, argc, argv, [&] { return run(o); });
}
