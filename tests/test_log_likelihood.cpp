// The importance-sampled log-likelihood (vaednn::estimate_log_likelihood) and the binarisation:
// k = 1 is the single-sample ELBO, larger k tightens it, chunking and splitting change nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/importance_noise.hpp"
#include "test_support.hpp"
#include "vaednn/binarize.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/model.hpp"

namespace vaednn {
namespace {

using testing::small_test_config;

// Grey images with some structure: a bright blob at a random place over faint noise.
std::vector<float> blob_images(std::size_t count, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> images(count * 28 * 28);
    for (std::size_t i = 0; i < count; ++i) {
        const float cy = 8.0f + 12.0f * unit(rng), cx = 8.0f + 12.0f * unit(rng);
        for (std::size_t y = 0; y < 28; ++y) {
            for (std::size_t x = 0; x < 28; ++x) {
                const float dy = static_cast<float>(y) - cy, dx = static_cast<float>(x) - cx;
                const float d2 = dy * dy + dx * dx;
                images[i * 784 + y * 28 + x] =
                    std::min(1.0f, std::exp(-d2 / 18.0f) + 0.05f * unit(rng));
            }
        }
    }
    return images;
}

// A small model trained briefly on the blobs, so that q(z|x) is informative.
Vae trained_small_model(const std::vector<float>& images) {
    Vae vae(small_test_config(), 3);
    for (int step = 0; step < 10; ++step) vae.train_step(images);
    return vae;
}

double mean(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

TEST(LogLikelihood, OneSampleIsTheElboOfThatSampleExactly) {
    const std::vector<float> images = blob_images(16, 1);
    Vae vae = trained_small_model(images);
    LogLikelihoodOptions options;
    options.samples = 1;
    options.seed = 42;
    const LogLikelihoodResult r = estimate_log_likelihood(vae, images, options);

    // The same eps through the training graph's own loss (an independent implementation of
    // log p(x|z) and of the KL).
    const std::size_t n = 16, latent = 4;
    std::vector<float> eps(n * latent);
    for (std::size_t i = 0; i < n; ++i) {
        detail::importance_noise(42, i, 0, 1, latent, eps.data() + i * latent);
    }
    vae.use_fixed_noise(eps);
    const LossTerms loss = vae.evaluate(images);
    EXPECT_NEAR(r.reconstruction, loss.reconstruction, 1e-4 * std::abs(loss.reconstruction));
    EXPECT_NEAR(r.kl, loss.kl, 1e-4 * std::abs(loss.kl) + 1e-6);

    // log p̂(x) = log p(x|z) + log p(z) - log q(z|x) for that one z, image by image.
    std::vector<float> mu(n * latent), logvar(n * latent);
    vae.encode(images, mu, logvar);
    for (std::size_t i = 0; i < n; ++i) {
        double log_ratio = 0.0;
        for (std::size_t d = 0; d < latent; ++d) {
            const std::size_t j = i * latent + d;
            const float z = mu[j] + std::exp(0.5f * logvar[j]) * eps[j];
            log_ratio += -0.5 * z * z + 0.5 * eps[j] * eps[j] + 0.5 * logvar[j];
        }
        double kl = 0.0;
        for (std::size_t d = 0; d < latent; ++d) {
            const std::size_t j = i * latent + d;
            kl += -0.5 * (1.0 + logvar[j] - mu[j] * mu[j] - std::exp(logvar[j]));
        }
        const double reconstruction = r.per_image_negative_elbo[i] - kl;
        EXPECT_NEAR(r.per_image_log_likelihood[i], -reconstruction + log_ratio, 1e-3)
            << "image " << i;
    }
}

TEST(LogLikelihood, OneSampleEqualsTheElboInExpectation) {
    const std::vector<float> images = blob_images(128, 2);
    Vae vae = trained_small_model(std::vector<float>(images.begin(), images.begin() + 32 * 784));
    LogLikelihoodOptions options;
    options.samples = 1;
    const LogLikelihoodResult r = estimate_log_likelihood(vae, images, options);
    // Per image, log p̂ + (-ELBO) = KL - (log q(z|x) - log p(z)): zero mean, by the analytic KL.
    std::vector<double> gap(r.images);
    for (std::size_t i = 0; i < r.images; ++i) {
        gap[i] = r.per_image_log_likelihood[i] + r.per_image_negative_elbo[i];
    }
    const double m = mean(gap);
    double squares = 0.0;
    for (double g : gap) squares += (g - m) * (g - m);
    const double standard_error =
        std::sqrt(squares / static_cast<double>(gap.size() - 1) / static_cast<double>(gap.size()));
    EXPECT_LT(std::abs(m), 4.0 * standard_error + 1e-9)
        << "mean gap " << m << ", standard error " << standard_error;
}

TEST(LogLikelihood, MoreSamplesTightenTheBound) {
    const std::vector<float> images = blob_images(32, 3);
    Vae vae = trained_small_model(images);
    LogLikelihoodOptions options;
    options.samples = 1;
    const LogLikelihoodResult one = estimate_log_likelihood(vae, images, options);
    options.samples = 64;
    const LogLikelihoodResult many = estimate_log_likelihood(vae, images, options);
    EXPECT_GT(many.log_likelihood, one.log_likelihood);
    EXPECT_GT(many.log_likelihood, -many.negative_elbo);
    EXPECT_EQ(many.samples, 64u);
    EXPECT_EQ(many.images, 32u);
    EXPECT_GT(many.log_likelihood_standard_error, 0.0);
    for (const double v : many.per_image_log_likelihood) EXPECT_TRUE(std::isfinite(v));
}

TEST(LogLikelihood, ChunkSizeAndSplittingTheSetChangeNothing) {
    const std::vector<float> images = blob_images(8, 4);
    Vae vae = trained_small_model(images);
    LogLikelihoodOptions options;
    options.samples = 13;  // chunks cut through images' samples and across images
    options.seed = 9;
    options.chunk = 16;
    const LogLikelihoodResult whole = estimate_log_likelihood(vae, images, options);
    options.chunk = 7;
    const LogLikelihoodResult small_chunks = estimate_log_likelihood(vae, images, options);
    // The second half alone, told where it starts, draws the same noise.
    options.chunk = 64;
    options.first_image = 4;
    const std::span<const float> second_half(images.data() + 4 * 784, 4 * 784);
    const LogLikelihoodResult half = estimate_log_likelihood(vae, second_half, options);
    for (std::size_t i = 0; i < 8; ++i) {
        // Different batch sizes may take different oneDNN kernels: equal to float rounding.
        EXPECT_NEAR(small_chunks.per_image_log_likelihood[i], whole.per_image_log_likelihood[i],
                    1e-3)
            << "image " << i;
        EXPECT_NEAR(small_chunks.per_image_negative_elbo[i], whole.per_image_negative_elbo[i],
                    1e-3);
        if (i >= 4) {
            EXPECT_NEAR(half.per_image_log_likelihood[i - 4], whole.per_image_log_likelihood[i],
                        1e-3);
        }
    }
    // And a different seed draws different samples.
    options = {};
    options.samples = 13;
    options.seed = 10;
    const LogLikelihoodResult other = estimate_log_likelihood(vae, images, options);
    EXPECT_NE(other.per_image_log_likelihood[0], whole.per_image_log_likelihood[0]);
}

TEST(LogLikelihood, ReportsProgressAndLeavesTheModelsNoiseAlone) {
    const std::vector<float> images = blob_images(5, 5);
    Vae vae(small_test_config(), 1);
    const Vae::NoiseState before = vae.noise_state();
    LogLikelihoodOptions options;
    options.samples = 10;
    options.chunk = 16;
    std::vector<EvaluationProgress> seen;
    estimate_log_likelihood(vae, images, options,
                            [&](const EvaluationProgress& p) { seen.push_back(p); });
    ASSERT_EQ(seen.size(), 4u);  // 50 rows in chunks of 16
    EXPECT_EQ(seen.back().samples_done, 50u);
    EXPECT_EQ(seen.back().samples_total, 50u);
    EXPECT_EQ(seen.back().images_done, 5u);
    EXPECT_EQ(seen.front().images_done, 1u);
    EXPECT_EQ(vae.noise_state().training, before.training);
    EXPECT_EQ(vae.noise_state().samples, before.samples);
}

TEST(LogLikelihood, GaussianLikelihoodIsFinite) {
    VaeConfig config = small_test_config();
    config.likelihood = Likelihood::gaussian;
    Vae vae(config, 1);
    const std::vector<float> images = blob_images(4, 6);
    LogLikelihoodOptions options;
    options.samples = 8;
    const LogLikelihoodResult r = estimate_log_likelihood(vae, images, options);
    EXPECT_TRUE(std::isfinite(r.log_likelihood));
    // 784 pixels of a unit-variance Gaussian: each costs at least ½log(2π) nats.
    EXPECT_LT(r.log_likelihood, -784 * 0.5 * std::log(2.0 * 3.14159265358979));
}

TEST(LogLikelihood, RejectsNoSamplesAndRaggedImages) {
    Vae vae(small_test_config(), 1);
    const std::vector<float> images = blob_images(2, 7);
    LogLikelihoodOptions options;
    options.samples = 0;
    EXPECT_THROW(estimate_log_likelihood(vae, images, options), ConfigError);
    options.samples = 2;
    EXPECT_THROW(estimate_log_likelihood(vae, std::span<const float>(images.data(), 700), options),
                 ConfigError);
    EXPECT_THROW(estimate_log_likelihood(vae, std::span<const float>(), options), ConfigError);
}

TEST(Binarize, BitsAreZeroOrOneWithTheGreyMean) {
    std::vector<float> images = blob_images(64, 8);
    double grey = 0.0;
    for (float p : images) grey += p;
    grey /= static_cast<double>(images.size());
    std::vector<float> bits = images;
    binarize_images(bits, 784, 1, 0, 0);
    double mean_bits = 0.0;
    for (float b : bits) {
        ASSERT_TRUE(b == 0.0f || b == 1.0f);
        mean_bits += b;
    }
    mean_bits /= static_cast<double>(bits.size());
    // Bernoulli draws around the grey levels: the mean's standard deviation is below
    // 0.5 / sqrt(pixels) ≈ 0.0022.
    EXPECT_NEAR(mean_bits, grey, 0.01);
    // Black stays black, white stays white.
    std::vector<float> extremes = {0.0f, 1.0f, 0.0f, 1.0f};
    binarize_images(extremes, 2, 5, 3, 0);
    EXPECT_EQ(extremes, (std::vector<float>{0.0f, 1.0f, 0.0f, 1.0f}));
}

TEST(Binarize, DrawsDependOnSeedEpochAndImageOnly) {
    const std::vector<float> images = blob_images(8, 9);
    std::vector<float> whole = images, second = images, next_epoch = images, fixed = images;
    binarize_images(whole, 784, 1, 2, 0);
    // The second half alone, told its first index, gets the same bits.
    binarize_images(std::span<float>(second.data() + 4 * 784, 4 * 784), 784, 1, 2, 4);
    EXPECT_TRUE(std::equal(whole.begin() + 4 * 784, whole.end(), second.begin() + 4 * 784));
    binarize_images(next_epoch, 784, 1, 3, 0);
    EXPECT_NE(whole, next_epoch);
    binarize_fixed(fixed, 784, 0);
    std::vector<float> fixed_again = images;
    binarize_fixed(fixed_again, 784, 0);
    EXPECT_EQ(fixed, fixed_again);
    EXPECT_EQ(binarization_from_string("dynamic"), Binarization::dynamic);
    EXPECT_EQ(to_string(Binarization::fixed), "fixed");
    EXPECT_THROW(binarization_from_string("sometimes"), ConfigError);
}

}  // namespace
}  // namespace vaednn
