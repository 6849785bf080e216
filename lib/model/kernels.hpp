// The VAE's own kernels, where oneDNN has no primitive: the reparameterisation, the ELBO loss
// with its gradient, and the Gaussian draws. Parallel over images; every sum over images is
// reduced in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vaednn::detail {

// mu_logvar: {N, 2Z}, row i = [mu_i (Z) | logvar_i (Z)].  eps, z: {N, Z}.
// z = mu + exp(logvar / 2) * eps
void reparameterize_forward(const float* mu_logvar, const float* eps, float* z, std::size_t n,
                            std::size_t latent);

// d_mu_logvar = d(recon)/d(mu, logvar) through z, plus the KL term's gradient; both scaled for
// a batch mean (`inv_batch` = 1/N; dz already carries it).
//   dmu     = dz + mu / N
//   dlogvar = dz * eps * exp(logvar / 2) / 2 + (exp(logvar) - 1) / (2N)
void reparameterize_backward(const float* mu_logvar, const float* eps, const float* dz,
                             float* d_mu_logvar, std::size_t n, std::size_t latent,
                             float inv_batch);

struct LossSums {
    double reconstruction = 0.0;  // summed over the batch, nats
    double kl = 0.0;              // summed over the batch, nats
};

// Bernoulli likelihood: Σ BCE-with-logits over pixels; writes dlogits = (sigmoid(l) - x) / B.
// Gaussian likelihood (unit variance): Σ ½(x - l)² + ½log(2π); writes dlogits = (l - x) / B.
// B, the batch the gradient is a mean over, is `batch_total` (0: N); a process holding N images
// of a larger batch split across processes passes that batch's size, so that the processes'
// gradients add up to the whole batch's.
// KL(q(z|x) || N(0, I)) = -½ Σ (1 + logvar - mu² - exp(logvar)) per image.
// `recon_per_image` and `kl_per_image` (N doubles each) receive the per-image terms. `dlogits`
// may be null (evaluation needs no gradient).
enum class LossKind { bernoulli, gaussian };
LossSums elbo_loss(LossKind kind, const float* logits, const float* images, const float* mu_logvar,
                   float* dlogits, double* recon_per_image, double* kl_per_image, std::size_t n,
                   std::size_t pixels, std::size_t latent, std::size_t batch_total = 0);

// Standard normal draws from a counter-based generator: draw i of step s under seed k is a pure
// function of (k, s, i), so any thread count and any batch split give the same numbers.
void standard_normal(std::uint64_t seed, std::uint64_t step, float* out, std::size_t count);
// Draws [first, first + count) of the same sequence: a process's share of a batch split across
// processes gets exactly the numbers one process would have drawn for those images.
void standard_normal(std::uint64_t seed, std::uint64_t step, std::size_t first, float* out,
                     std::size_t count);

// Draws first .. first + count - 1 of standard_normal(seed, step, ...)'s sequence: any slice of
// a long stream without drawing what comes before it. Serial (callers parallelise over slices).
void standard_normal_slice(std::uint64_t seed, std::uint64_t step, std::uint64_t first, float* out,
                           std::size_t count);

}  // namespace vaednn::detail
