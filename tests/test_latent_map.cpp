// The pictures' arithmetic and what they leave on disk: the principal plane of the posterior
// means, the manifold grid on it, the latent map's PNG, and epoch figures that decode the same
// fixed latent points every epoch without moving the model's noise streams.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "test_support.hpp"
#include "vaednn/epoch_figures.hpp"
#include "vaednn/error.hpp"
#include "vaednn/latent_map.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;
using LatentFigures = testing::TempDirTest;

using testing::read_all;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
    return sum;
}

// Points spread widely along (1, 2, 2)/3, less along (2, -2, 1)/3 (the second component) and
// little along the third direction, around (5, -1, 3).
std::vector<float> elongated_cloud(std::size_t count) {
    const double u[] = {1 / 3.0, 2 / 3.0, 2 / 3.0}, v[] = {2 / 3.0, -2 / 3.0, 1 / 3.0},
                 w[] = {2 / 3.0, 1 / 3.0, -2 / 3.0}, centre[] = {5, -1, 3};
    std::mt19937 generator(7);
    std::normal_distribution<double> normal;
    std::vector<float> means(count * 3);
    for (std::size_t i = 0; i < count; ++i) {
        const double a = 4 * normal(generator), b = 1.5 * normal(generator),
                     c = 0.1 * normal(generator);
        for (std::size_t k = 0; k < 3; ++k) {
            means[i * 3 + k] = static_cast<float>(centre[k] + a * u[k] + b * v[k] + c * w[k]);
        }
    }
    return means;
}

TEST(LatentPlane, FindsThePrincipalComponentsInOrder) {
    const std::vector<float> means = elongated_cloud(4000);
    const LatentPlane plane = principal_plane(means, 3);
    ASSERT_TRUE(plane.principal);
    // Up to sampling: the axes are the directions the cloud was drawn along, the largest
    // component of each positive.
    EXPECT_NEAR(dot(plane.axes[0], {1 / 3.0, 2 / 3.0, 2 / 3.0}), 1.0, 1e-3);
    EXPECT_NEAR(std::fabs(dot(plane.axes[1], {2 / 3.0, -2 / 3.0, 1 / 3.0})), 1.0, 1e-3);
    EXPECT_NEAR(dot(plane.axes[0], plane.axes[1]), 0.0, 1e-6);
    EXPECT_NEAR(plane.spread[0], 4.0, 0.2);
    EXPECT_NEAR(plane.spread[1], 1.5, 0.1);
    EXPECT_GT(plane.explained[0], 0.85);
    EXPECT_NEAR(plane.explained[0] + plane.explained[1], 1.0, 0.01);
    EXPECT_NEAR(plane.origin[0], 5.0, 0.2);

    // Projected, the centre lands on (0, 0) and the spread is the axes'.
    const std::vector<float> points = project(means, plane);
    double mean_a = 0, mean_b = 0;
    for (std::size_t i = 0; i < points.size() / 2; ++i)
        mean_a += points[2 * i], mean_b += points[2 * i + 1];
    EXPECT_NEAR(mean_a / 4000, 0.0, 1e-3);
    EXPECT_NEAR(mean_b / 4000, 0.0, 1e-3);
}

TEST(LatentPlane, ATwoDimensionalLatentSpaceIsItsOwnPlane) {
    const std::vector<float> means = {1, 2, 3, 5, -1, 0, 2, 2};
    const LatentPlane plane = principal_plane(means, 2);
    EXPECT_FALSE(plane.principal);
    EXPECT_EQ(plane.axes[0], (std::vector<double>{1, 0}));
    EXPECT_EQ(plane.axes[1], (std::vector<double>{0, 1}));
    EXPECT_EQ(plane.origin, (std::vector<double>{0, 0}));
    EXPECT_EQ(project(means, plane), means);
}

TEST(LatentPlane, RefusesWhatHasNoPlane) {
    EXPECT_THROW(principal_plane(std::vector<float>{1, 2, 3}, 1), ConfigError);
    EXPECT_THROW(principal_plane(std::vector<float>{1, 2, 3}, 3), ConfigError);
}

TEST(LatentPlane, TheManifoldGridWalksTheNormalsQuantilesAlongBothAxes) {
    const LatentPlane plane = principal_plane(elongated_cloud(2000), 3);
    const std::vector<float> grid = plane_grid(plane, 3);
    ASSERT_EQ(grid.size(), 3u * 3u * 3u);
    // The centre of an odd grid is the origin; opposite corners mirror each other around it.
    const std::vector<float> points = project(grid, plane);
    EXPECT_NEAR(points[2 * 4], 0.0, 1e-4);
    EXPECT_NEAR(points[2 * 4 + 1], 0.0, 1e-4);
    EXPECT_NEAR(points[0], -points[2 * 8], 1e-4);
    EXPECT_NEAR(points[1], -points[2 * 8 + 1], 1e-4);
    // Left to right along the first axis, top to bottom down the second, at the 1/6 and 5/6
    // quantiles of the normal (+-0.9674) times the spread.
    EXPECT_NEAR(points[2 * 5], 0.9674 * plane.spread[0], 1e-3 * plane.spread[0]);
    EXPECT_NEAR(points[1], 0.9674 * plane.spread[1], 1e-3 * plane.spread[1]);
}

TEST(ReconstructionPicks, FirstOfEachClassInLabelOrder) {
    ImageSet set;
    set.count = 6;
    set.labels = {3, 1, 3, 0, 1, 9};
    EXPECT_EQ(first_of_each_class(set), (std::vector<std::uint32_t>{3, 1, 0, 5}));
    set.count = 5;  // labels past the count do not count
    EXPECT_EQ(first_of_each_class(set), (std::vector<std::uint32_t>{3, 1, 0}));
}

TEST_F(LatentFigures, TheLatentMapIsAPngAndChecksItsLabels) {
    const std::vector<float> means = elongated_cloud(300);
    std::vector<std::uint8_t> labels(300);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
    const LatentPlane plane = principal_plane(means, 3);
    write_latent_map(dir() / "latent.png", means, labels, plane);
    EXPECT_EQ(read_all(dir() / "latent.png").substr(1, 3), "PNG");
    labels.pop_back();
    EXPECT_THROW(write_latent_map(dir() / "bad.png", means, labels, plane), Error);
    EXPECT_FALSE(fs::exists(dir() / "bad.png"));
}

TEST_F(LatentFigures, EpochFiguresDecodeTheSameLatentPointsEveryEpochAndDrawNoNoise) {
    const VaeConfig config = testing::small_test_config();
    Vae vae(config, 3);
    ImageSet test;
    test.count = 30, test.rows = static_cast<std::size_t>(config.image_rows),
    test.cols = static_cast<std::size_t>(config.image_cols);
    test.pixels.resize(test.count * test.rows * test.cols);
    for (std::size_t i = 0; i < test.pixels.size(); ++i) {
        test.pixels[i] = static_cast<std::uint8_t>((i * 37) % 256);
    }
    for (std::size_t i = 0; i < test.count; ++i)
        test.labels.push_back(static_cast<std::uint8_t>((i * 7) % 10));
    const std::vector<EpochMetrics> history(1);
    const Vae::NoiseState before = vae.noise_state();
    write_epoch_figures(dir(), vae, test, 1, history);
    write_epoch_figures(dir(), vae, test, 2, history);
    EXPECT_EQ(vae.noise_state().training, before.training);
    EXPECT_EQ(vae.noise_state().samples, before.samples);
    EXPECT_EQ(read_all(dir() / "samples_epoch_001.png"), read_all(dir() / "samples_epoch_002.png"))
        << "an unchanged model decodes the same fixed z to the same grid";
    EXPECT_TRUE(fs::exists(dir() / "reconstruction_epoch_001.png"));

    // After a training step the same z decode to another grid.
    std::vector<float> batch(8 * test.rows * test.cols, 0.5f);
    vae.train_step(batch);
    write_epoch_figures(dir(), vae, test, 3, history);
    EXPECT_NE(read_all(dir() / "samples_epoch_003.png"), read_all(dir() / "samples_epoch_002.png"));

    write_latent_figure(dir() / "latent.png", vae, test);
    EXPECT_EQ(read_all(dir() / "latent.png").substr(1, 3), "PNG");
}

}  // namespace
}  // namespace vaednn
