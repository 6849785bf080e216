#include "vaednn/epoch_figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "vaednn/figures.hpp"

namespace vaednn {

void write_epoch_figures(const std::filesystem::path& folder, Vae& vae, const ImageSet& test,
                         int epoch, std::span<const EpochMetrics> history) {
    const std::size_t rows = test.rows, cols = test.cols, pixels = rows * cols;
    std::vector<float> samples(kEpochFigureSamples * pixels);
    vae.sample(samples);
    write_image_grid(folder / fmt::format("samples_epoch_{:03}.png", epoch), samples,
                     kEpochFigureSamples, rows, cols, 8);

    // Test images spread over the set (it may be sorted by label), above their reconstructions
    // decoded from the posterior mean.
    const std::size_t n = std::min(kEpochFigureReconstructions, test.count);
    std::vector<std::uint32_t> first(n);
    for (std::size_t i = 0; i < n; ++i) first[i] = static_cast<std::uint32_t>(i * test.count / n);
    std::vector<float> grid(2 * n * pixels);
    const std::span<float> originals(grid.data(), n * pixels);
    gather_batch(test, first, originals);
    std::vector<float> mu(n * static_cast<std::size_t>(vae.config().latent)), logvar(mu.size());
    vae.encode(originals, mu, logvar);
    vae.decode(mu, std::span<float>(grid.data() + n * pixels, n * pixels));
    write_image_grid(folder / fmt::format("reconstruction_epoch_{:03}.png", epoch), grid, 2 * n,
                     rows, cols, n);

    std::vector<CurvePoint> points;
    points.reserve(history.size());
    for (const EpochMetrics& m : history) {
        points.push_back({m.epoch, m.train.loss, m.test.loss, m.train.kl, m.test.kl});
    }
    write_loss_curves(folder / "loss_curves.png", points);
}

}  // namespace vaednn
