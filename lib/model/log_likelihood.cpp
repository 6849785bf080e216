// The importance-sampled log-likelihood (IWAE bound) on the model's inference graph.
//
// Rows of the decode chunk are (image, sample) pairs laid out image-major: image i's samples
// 0 .. k-1 are rows i*k .. i*k+k-1 of one long sequence, cut into chunks of C rows. A chunk may
// hold the end of one image and the start of the next, or a slice of one image's 5000 samples.
// Every chunk is decoded at the same batch size C (the short last one is padded), so one
// inference graph serves the whole evaluation, and nothing is allocated inside the chunk loop.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>

#include "model/importance_noise.hpp"
#include "model/mean_and_error.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"

namespace vaednn {

namespace {

// log Σ exp(values), one value at a time: a running maximum and the sum of exp(value - max),
// both in double, so 5000 log-weights spread over hundreds of nats neither overflow nor vanish.
// The result depends only on the order of the values, never on how they were chunked.
struct StreamingLogSumExp {
    double max = -std::numeric_limits<double>::infinity();
    double sum = 0.0;

    void add(double value) {
        if (value <= max) {
            sum += std::exp(value - max);
        } else {
            sum = sum * std::exp(max - value) + 1.0;
            max = value;
        }
    }
    double value() const { return max + std::log(sum); }
};

double log_density_of_pixels(Likelihood likelihood, const float* logits, const float* x,
                             std::size_t pixels) {
    double total = 0.0;
    if (likelihood == Likelihood::bernoulli) {
        // log p(x|z) = -BCE-with-logits = x l - softplus(l), with softplus(l) computed stably as
        // max(l, 0) + log(1 + exp(-|l|)); grey x in (0, 1) is the same expression.
        for (std::size_t p = 0; p < pixels; ++p) {
            const float l = logits[p];
            total += static_cast<double>(l * x[p] - std::fmax(l, 0.0f) -
                                         std::log1p(std::exp(-std::fabs(l))));
        }
    } else {
        // The unit-variance Gaussian the training loss uses: -½(x - l)² - ½log(2π) per pixel.
        const double half_log_two_pi = 0.5 * std::log(2.0 * std::numbers::pi);
        for (std::size_t p = 0; p < pixels; ++p) {
            const double d = static_cast<double>(x[p]) - static_cast<double>(logits[p]);
            total -= 0.5 * d * d + half_log_two_pi;
        }
    }
    return total;
}

}  // namespace

LogLikelihoodResult estimate_log_likelihood(Vae& vae, std::span<const float> images,
                                            const LogLikelihoodOptions& options,
                                            const EvaluationCallback& progress) {
    const auto start = std::chrono::steady_clock::now();
    const VaeConfig& config = vae.config();
    const auto pixels = static_cast<std::size_t>(config.pixels());
    const auto latent = static_cast<std::size_t>(config.latent);
    if (images.empty() || images.size() % pixels != 0) {
        throw ConfigError(
            fmt::format("estimate_log_likelihood: images must hold whole {}x{} "
                        "images: got {} floats",
                        config.image_rows, config.image_cols, images.size()));
    }
    if (options.samples == 0) {
        throw ConfigError("estimate_log_likelihood: the number of importance samples must be > 0");
    }
    const std::size_t n = images.size() / pixels;
    const std::size_t k = options.samples;
    const std::size_t chunk =
        options.chunk > 0 ? options.chunk : static_cast<std::size_t>(config.reference_batch);

    // Everything the loops touch, allocated once. An image batch is `chunk` images.
    std::vector<float> batch_images(chunk * pixels, 0.0f);
    std::vector<float> mu(chunk * latent), logvar(chunk * latent);
    std::vector<float> eps(chunk * latent), z(chunk * latent), logits(chunk * pixels);
    std::vector<double> log_weight(chunk), log_px_given_z(chunk);
    std::vector<StreamingLogSumExp> sums(chunk);

    LogLikelihoodResult result;
    result.images = n;
    result.samples = k;
    result.per_image_log_likelihood.assign(n, 0.0);
    result.per_image_negative_elbo.assign(n, 0.0);
    std::vector<double> reconstruction(n), kl(n);
    EvaluationProgress report{0, n * k, 0, n};

    for (std::size_t first = 0; first < n; first += chunk) {
        const std::size_t count = std::min(chunk, n - first);
        // Encode the batch once, padded with blank images to the one graph's size.
        std::copy_n(images.data() + first * pixels, count * pixels, batch_images.data());
        std::fill(batch_images.begin() + static_cast<std::ptrdiff_t>(count * pixels),
                  batch_images.end(), 0.0f);
        vae.encode(batch_images, mu, logvar);
        std::fill(sums.begin(), sums.end(), StreamingLogSumExp{});
        for (std::size_t i = 0; i < count; ++i) {
            // KL(N(mu, sigma²) || N(0, I)) = -½ Σ (1 + logvar - mu² - exp(logvar))
            double sum = 0.0;
            for (std::size_t d = 0; d < latent; ++d) {
                const double m = mu[i * latent + d], lv = logvar[i * latent + d];
                sum += 1.0 + lv - m * m - std::exp(lv);
            }
            kl[first + i] = -0.5 * sum;
        }

        const std::size_t rows = count * k;
        for (std::size_t row0 = 0; row0 < rows; row0 += chunk) {
            const std::size_t used = std::min(chunk, rows - row0);
            // z = mu + exp(logvar / 2) * eps for each (image, sample) row; padding rows get 0.
#pragma omp parallel for schedule(static)
            for (std::size_t r = 0; r < chunk; ++r) {
                float* zr = z.data() + r * latent;
                float* er = eps.data() + r * latent;
                if (r >= used) {
                    std::fill_n(zr, latent, 0.0f);
                    continue;
                }
                const std::size_t image = (row0 + r) / k, sample = (row0 + r) % k;
                detail::importance_noise(options.seed, options.first_image + first + image, sample,
                                         1, latent, er);
                const float* m = mu.data() + image * latent;
                const float* lv = logvar.data() + image * latent;
                for (std::size_t d = 0; d < latent; ++d) {
                    zr[d] = m[d] + std::exp(0.5f * lv[d]) * er[d];
                }
            }
            vae.decode_logits(z, logits);
#pragma omp parallel for schedule(static)
            for (std::size_t r = 0; r < used; ++r) {
                const std::size_t image = (row0 + r) / k;
                const double log_px =
                    log_density_of_pixels(config.likelihood, logits.data() + r * pixels,
                                          batch_images.data() + image * pixels, pixels);
                // log p(z) - log q(z|x) = Σ -½z² + ½eps² + ½logvar  (the ½log(2π) cancel)
                double log_ratio = 0.0;
                for (std::size_t d = 0; d < latent; ++d) {
                    const double zd = z[r * latent + d], ed = eps[r * latent + d];
                    log_ratio += -0.5 * zd * zd + 0.5 * ed * ed +
                                 0.5 * static_cast<double>(logvar[image * latent + d]);
                }
                log_px_given_z[r] = log_px;
                log_weight[r] = log_px + log_ratio;
            }
            // One ordered pass: each image's samples are summed in the order 0 .. k-1.
            for (std::size_t r = 0; r < used; ++r) {
                const std::size_t image = (row0 + r) / k, sample = (row0 + r) % k;
                if (sample == 0) reconstruction[first + image] = -log_px_given_z[r];
                sums[image].add(log_weight[r]);
            }
            report.samples_done += used;
            report.images_done = first + (row0 + used) / k;
            if (progress) progress(report);
        }
        for (std::size_t i = 0; i < count; ++i) {
            result.per_image_log_likelihood[first + i] =
                sums[i].value() - std::log(static_cast<double>(k));
            result.per_image_negative_elbo[first + i] = reconstruction[first + i] + kl[first + i];
        }
    }

    result.reconstruction = detail::mean_of(reconstruction);
    result.kl = detail::mean_of(kl);
    detail::summarize_per_image(result);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace vaednn
