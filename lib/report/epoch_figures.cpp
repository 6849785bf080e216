#include "vaednn/epoch_figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "vaednn/figures.hpp"
#include "vaednn/latent_map.hpp"

namespace vaednn {
namespace {

// The same latent points every epoch and every run, so the sample grids of successive epochs
// show the model learning, not new noise; drawn apart from the model's own noise streams, which
// a figure must not move.
std::vector<float> fixed_prior_z(std::size_t count, std::size_t latent) {
    std::mt19937_64 generator(0x5a4d'504c'4553ULL);  // "ZMPLES": any fixed seed
    std::normal_distribution<float> normal;
    std::vector<float> z(count * latent);
    for (float& v : z) v = normal(generator);
    return z;
}

// One test image per class; a set without two classes gets images spread over it instead.
std::vector<std::uint32_t> reconstruction_picks(const ImageSet& test) {
    std::vector<std::uint32_t> picks = first_of_each_class(test);
    if (picks.size() >= 2) return picks;
    const std::size_t n = std::min(kEpochFigureReconstructions, test.count);
    picks.resize(n);
    for (std::size_t i = 0; i < n; ++i) picks[i] = static_cast<std::uint32_t>(i * test.count / n);
    return picks;
}

}  // namespace

std::vector<std::uint32_t> first_of_each_class(const ImageSet& set) {
    std::array<std::int64_t, 10> first;
    first.fill(-1);
    for (std::size_t i = 0; i < set.labels.size() && i < set.count; ++i) {
        const unsigned label = set.labels[i];
        if (label < 10 && first[label] < 0) first[label] = static_cast<std::int64_t>(i);
    }
    std::vector<std::uint32_t> picks;
    for (std::int64_t i : first) {
        if (i >= 0) picks.push_back(static_cast<std::uint32_t>(i));
    }
    return picks;
}

void write_epoch_figures(const std::filesystem::path& folder, Vae& vae, const ImageSet& test,
                         int epoch, std::span<const EpochMetrics> history) {
    const std::size_t rows = test.rows, cols = test.cols, pixels = rows * cols;
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    std::vector<float> samples(kEpochFigureSamples * pixels);
    vae.decode(fixed_prior_z(kEpochFigureSamples, latent), samples);
    write_image_grid(folder / fmt::format("samples_epoch_{:03}.png", epoch), samples,
                     kEpochFigureSamples, rows, cols, 8);

    // One test image of each class above its reconstruction, decoded from the posterior mean.
    const std::vector<std::uint32_t> picks = reconstruction_picks(test);
    const std::size_t n = picks.size();
    std::vector<float> originals(n * pixels), reconstructions(n * pixels);
    gather_batch(test, picks, originals);
    std::vector<float> mu(n * latent), logvar(mu.size());
    vae.encode(originals, mu, logvar);
    vae.decode(mu, reconstructions);
    std::vector<std::string> captions;
    for (std::uint32_t i : picks) {
        captions.push_back(i < test.labels.size() ? fmt::format("{}", test.labels[i])
                                                  : fmt::format("#{}", i));
    }
    write_reconstructions(folder / fmt::format("reconstruction_epoch_{:03}.png", epoch), originals,
                          reconstructions, n, rows, cols, captions);

    std::vector<CurvePoint> points;
    points.reserve(history.size());
    for (const EpochMetrics& m : history) {
        points.push_back({m.epoch, m.train.loss, m.test.loss, m.train.kl, m.test.kl});
    }
    write_loss_curves(folder / "loss_curves.png", points);
}

void write_latent_figure(const std::filesystem::path& file, Vae& vae, const ImageSet& set) {
    const std::vector<float> means = encode_means(vae, set);
    const auto latent = static_cast<std::size_t>(vae.config().latent);
    write_latent_map(file, means, set.labels, principal_plane(means, latent));
}

}  // namespace vaednn
