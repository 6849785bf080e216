#include "model/kernels.hpp"

#include <cmath>
#include <numbers>

#include "model/counter_rng.hpp"

namespace vaednn::detail {

void reparameterize_forward(const float* mu_logvar, const float* eps, float* z, std::size_t n,
                            std::size_t latent) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
        const float* mu = mu_logvar + i * 2 * latent;
        const float* logvar = mu + latent;
        for (std::size_t j = 0; j < latent; ++j) {
            z[i * latent + j] = mu[j] + std::exp(0.5f * logvar[j]) * eps[i * latent + j];
        }
    }
}

void reparameterize_backward(const float* mu_logvar, const float* eps, const float* dz,
                             float* d_mu_logvar, std::size_t n, std::size_t latent,
                             float inv_batch) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
        const float* mu = mu_logvar + i * 2 * latent;
        const float* logvar = mu + latent;
        float* dmu = d_mu_logvar + i * 2 * latent;
        float* dlogvar = dmu + latent;
        for (std::size_t j = 0; j < latent; ++j) {
            const float g = dz[i * latent + j];
            const float sigma = std::exp(0.5f * logvar[j]);
            dmu[j] = g + mu[j] * inv_batch;
            dlogvar[j] =
                0.5f * g * eps[i * latent + j] * sigma + 0.5f * (sigma * sigma - 1.0f) * inv_batch;
        }
    }
}

LossSums elbo_loss(LossKind kind, const float* logits, const float* images, const float* mu_logvar,
                   float* dlogits, double* recon_per_image, double* kl_per_image, std::size_t n,
                   std::size_t pixels, std::size_t latent, std::size_t batch_total) {
    const float inv_batch = 1.0f / static_cast<float>(batch_total == 0 ? n : batch_total);
    const double half_log_two_pi = 0.5 * std::log(2.0 * std::numbers::pi);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
        const float* l = logits + i * pixels;
        const float* x = images + i * pixels;
        float* dl = dlogits != nullptr ? dlogits + i * pixels : nullptr;
        double recon = 0.0;
        if (kind == LossKind::bernoulli) {
            for (std::size_t p = 0; p < pixels; ++p) {
                // Stable BCE with logits: max(l, 0) - l x + log(1 + exp(-|l|)).
                const float e = std::exp(-std::fabs(l[p]));
                recon += static_cast<double>(std::fmax(l[p], 0.0f) - l[p] * x[p] + std::log1p(e));
                const float sigmoid = l[p] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
                if (dl != nullptr) dl[p] = (sigmoid - x[p]) * inv_batch;
            }
        } else {
            for (std::size_t p = 0; p < pixels; ++p) {
                const float d = l[p] - x[p];
                recon += 0.5 * static_cast<double>(d * d) + half_log_two_pi;
                if (dl != nullptr) dl[p] = d * inv_batch;
            }
        }
        const float* mu = mu_logvar + i * 2 * latent;
        const float* logvar = mu + latent;
        double kl = 0.0;
        for (std::size_t j = 0; j < latent; ++j) {
            kl += static_cast<double>(1.0f + logvar[j] - mu[j] * mu[j] - std::exp(logvar[j]));
        }
        recon_per_image[i] = recon;
        kl_per_image[i] = -0.5 * kl;
    }
    // One ordered reduction: the same sums for any thread count.
    LossSums sums;
    for (std::size_t i = 0; i < n; ++i) {
        sums.reconstruction += recon_per_image[i];
        sums.kl += kl_per_image[i];
    }
    return sums;
}

namespace {

// A uniform in (0, 1] from the top 53 bits: never 0, so log() is finite.
double unit_open_zero(std::uint64_t bits) {
    return (static_cast<double>(bits >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

// Element e of a step's sequence: the cosine (even e) or sine (odd e) half of Box-Muller pair
// e / 2, with the same operations as standard_normal's whole-batch loop, so every way of drawing
// a slice agrees with it bit for bit.
float normal_at(std::uint64_t stream, std::uint64_t e) {
    const std::uint64_t pair = e / 2;
    const double radius = std::sqrt(-2.0 * std::log(unit_open_zero(mix64(stream + 2 * pair))));
    const double angle = 2.0 * std::numbers::pi * unit_open_zero(mix64(stream + 2 * pair + 1));
    return static_cast<float>(radius * (e % 2 == 0 ? std::cos(angle) : std::sin(angle)));
}

}  // namespace

void standard_normal(std::uint64_t seed, std::uint64_t step, float* out, std::size_t count) {
    const std::uint64_t stream = mix64(seed ^ mix64(step + 0x632BE59BD9B4E019ull));
    const std::size_t pairs = (count + 1) / 2;
#pragma omp parallel for schedule(static)
    for (std::size_t k = 0; k < pairs; ++k) {
        // Box-Muller: two independent uniforms give two independent normals.
        const std::uint64_t a = mix64(stream + 2 * k);
        const std::uint64_t b = mix64(stream + 2 * k + 1);
        const double radius = std::sqrt(-2.0 * std::log(unit_open_zero(a)));
        const double angle = 2.0 * std::numbers::pi * unit_open_zero(b);
        out[2 * k] = static_cast<float>(radius * std::cos(angle));
        if (2 * k + 1 < count) out[2 * k + 1] = static_cast<float>(radius * std::sin(angle));
    }
}

void standard_normal(std::uint64_t seed, std::uint64_t step, std::size_t first, float* out,
                     std::size_t count) {
    const std::uint64_t stream = mix64(seed ^ mix64(step + 0x632BE59BD9B4E019ull));
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < count; ++i) out[i] = normal_at(stream, first + i);
}

void standard_normal_slice(std::uint64_t seed, std::uint64_t step, std::uint64_t first, float* out,
                           std::size_t count) {
    const std::uint64_t stream = mix64(seed ^ mix64(step + 0x632BE59BD9B4E019ull));
    for (std::size_t i = 0; i < count; ++i) out[i] = normal_at(stream, first + i);
}

}  // namespace vaednn::detail
