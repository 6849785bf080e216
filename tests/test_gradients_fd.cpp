// Finite-difference checks of the backward pass, one per layer kind, on the whole model (so the
// check also covers how layers are wired), plus the loss and reparameterisation kernels alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "golden_fixture.hpp"
#include "model/kernels.hpp"
#include "vaednn/model.hpp"

namespace vaednn {
namespace {

// The directional derivative of the loss along a unit direction in one tensor, by central
// differences, against the backward pass's gradient projected on the same direction. The
// direction is half the gradient's own and half random: along a purely random direction the
// derivative of a ~500-nat float32 loss drowns in rounding, while a wrong gradient still shows,
// since its error has a part along the direction too.
struct DirectionalCheck {
    double backprop = 0.0;
    double finite_difference = 0.0;
    double relative_error() const {
        return std::fabs(backprop - finite_difference) /
               std::max(std::fabs(finite_difference), 1e-3);
    }
};

DirectionalCheck check_tensor(Vae& vae, const std::vector<float>& images,
                              const std::vector<Tensor>& params, const std::string& name,
                              double step, unsigned seed) {
    vae.compute_gradients(images);
    const std::vector<Tensor> grads = vae.gradients();
    const auto find = [&](const std::vector<Tensor>& ts) -> const Tensor& {
        for (const Tensor& t : ts) {
            if (t.name == name) return t;
        }
        throw std::runtime_error("no tensor " + name);
    };
    const Tensor& grad = find(grads);

    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    std::vector<double> direction(grad.values.size());
    double random_norm = 0.0, grad_norm = 0.0;
    for (std::size_t i = 0; i < direction.size(); ++i) {
        direction[i] = normal(rng);
        random_norm += direction[i] * direction[i];
        grad_norm += static_cast<double>(grad.values[i]) * grad.values[i];
    }
    double norm = 0.0;
    for (std::size_t i = 0; i < direction.size(); ++i) {
        direction[i] = direction[i] / std::sqrt(random_norm) +
                       (grad_norm > 0.0 ? grad.values[i] / std::sqrt(grad_norm) : 0.0);
        norm += direction[i] * direction[i];
    }
    if (norm < 1e-12) {  // a one-element tensor whose two halves cancelled: use the gradient's
        for (std::size_t i = 0; i < direction.size(); ++i) direction[i] = grad.values[i];
        norm = grad_norm;
    }
    DirectionalCheck check;
    for (std::size_t i = 0; i < direction.size(); ++i) {
        direction[i] /= std::sqrt(norm);
        check.backprop += direction[i] * static_cast<double>(grad.values[i]);
    }

    auto loss_at = [&](double t) {
        std::vector<Tensor> moved = params;
        for (Tensor& p : moved) {
            if (p.name != name) continue;
            for (std::size_t i = 0; i < p.values.size(); ++i) {
                p.values[i] += static_cast<float>(t * direction[i]);
            }
        }
        vae.set_parameters(moved);
        return vae.evaluate(images).loss;
    };
    check.finite_difference = (loss_at(step) - loss_at(-step)) / (2.0 * step);
    vae.set_parameters(params);
    return check;
}

class FiniteDifferences : public ::testing::TestWithParam<std::string> {};

TEST_P(FiniteDifferences, GradientAlongRandomDirections) {
    // The small fixture model, float32 throughout; a step of 1e-2 along a unit direction.
    const testing::GoldenFixture fixture("small");
    Vae vae(fixture.config, 0);
    const std::vector<Tensor> params = fixture.with_prefix("param.");
    vae.set_parameters(params);
    vae.use_fixed_noise(fixture.values("input.eps"));
    const std::vector<float>& images = fixture.values("input.images");

    for (unsigned seed = 1; seed <= 3; ++seed) {
        const DirectionalCheck check = check_tensor(vae, images, params, GetParam(), 1e-2, seed);
        EXPECT_LT(check.relative_error(), 2e-2)
            << GetParam() << " direction " << seed << ": backprop " << check.backprop
            << " vs finite difference " << check.finite_difference;
    }
}

// One tensor or more of every layer kind: LSTM, dense (heads and decoder), deconvolution.
INSTANTIATE_TEST_SUITE_P(LayerKinds, FiniteDifferences,
                         ::testing::Values("encoder.lstm.weight_ih_l0", "encoder.lstm.weight_hh_l0",
                                           "encoder.lstm.bias_ih_l0", "encoder.fc_mu.weight",
                                           "encoder.fc_logvar.weight", "encoder.fc_logvar.bias",
                                           "decoder.fc.weight", "decoder.fc.bias",
                                           "decoder.deconv1.weight", "decoder.deconv2.weight",
                                           "decoder.deconv3.weight", "decoder.deconv3.bias"),
                         [](const auto& test_info) {
                             std::string name = test_info.param;
                             for (char& c : name) {
                                 if (c == '.') c = '_';
                             }
                             return name;
                         });

// --- The loss and reparameterisation kernels alone, in double-checked float. ---

struct LossProblem {
    std::size_t n = 2, pixels = 5, latent = 3;
    std::vector<float> logits = {-3.0f, -0.5f, 0.0f, 0.7f, 4.0f, 1.5f, -2.0f, 0.3f, -0.1f, 2.2f};
    std::vector<float> images = {0.0f, 0.2f, 0.5f, 1.0f, 0.9f, 1.0f, 0.0f, 0.3f, 0.6f, 0.8f};
    std::vector<float> mu_logvar = {0.3f,  -0.2f, 0.8f, -0.5f, 0.1f,  0.4f,
                                    -0.6f, 0.05f, 0.2f, 0.3f,  -0.9f, 0.0f};
};

double total_loss(detail::LossKind kind, LossProblem& p) {
    std::vector<float> dlogits(p.logits.size());
    std::vector<double> recon(p.n), kl(p.n);
    const auto sums =
        detail::elbo_loss(kind, p.logits.data(), p.images.data(), p.mu_logvar.data(),
                          dlogits.data(), recon.data(), kl.data(), p.n, p.pixels, p.latent);
    return (sums.reconstruction + sums.kl) / static_cast<double>(p.n);
}

TEST(LossKernel, LogitGradientMatchesFiniteDifferences) {
    for (auto kind : {detail::LossKind::bernoulli, detail::LossKind::gaussian}) {
        LossProblem p;
        std::vector<float> dlogits(p.logits.size());
        std::vector<double> recon(p.n), kl(p.n);
        detail::elbo_loss(kind, p.logits.data(), p.images.data(), p.mu_logvar.data(),
                          dlogits.data(), recon.data(), kl.data(), p.n, p.pixels, p.latent);
        for (std::size_t i = 0; i < p.logits.size(); ++i) {
            const float h = 1e-2f;
            LossProblem plus = p, minus = p;
            plus.logits[i] += h;
            minus.logits[i] -= h;
            const double fd = (total_loss(kind, plus) - total_loss(kind, minus)) / (2.0 * h);
            EXPECT_NEAR(dlogits[i], fd, 1e-3) << "logit " << i;
        }
    }
}

TEST(LossKernel, BernoulliIsStableForLargeLogits) {
    LossProblem p;
    p.logits = {-200.0f, 200.0f, -90.0f, 90.0f, 0.0f, 1e4f, -1e4f, 50.0f, -50.0f, 0.0f};
    std::vector<float> dlogits(p.logits.size());
    std::vector<double> recon(p.n), kl(p.n);
    detail::elbo_loss(detail::LossKind::bernoulli, p.logits.data(), p.images.data(),
                      p.mu_logvar.data(), dlogits.data(), recon.data(), kl.data(), p.n, p.pixels,
                      p.latent);
    for (double r : recon) EXPECT_TRUE(std::isfinite(r));
    for (float d : dlogits) EXPECT_TRUE(std::isfinite(d));
    // image 0, pixel 1: logit 200, target 0.2 -> loss ~ 200 * 0.8 = 160
    EXPECT_NEAR(dlogits[1], (1.0f - 0.2f) / 2.0f, 1e-6);
}

TEST(ReparameterizeKernel, GradientMatchesFiniteDifferences) {
    // L(mu, logvar) = Σ w ⊙ z(mu, logvar) / N + KL / N, with z = mu + exp(logvar/2) eps.
    const std::size_t n = 2, latent = 3;
    const std::vector<float> eps = {0.5f, -1.2f, 0.3f, 2.0f, -0.4f, 0.9f};
    const std::vector<float> w = {0.7f, -0.3f, 1.1f, -0.8f, 0.25f, 0.6f};
    LossProblem base;
    auto loss = [&](const std::vector<float>& mu_logvar) {
        std::vector<float> z(n * latent);
        detail::reparameterize_forward(mu_logvar.data(), eps.data(), z.data(), n, latent);
        double total = 0.0;
        for (std::size_t i = 0; i < z.size(); ++i) total += static_cast<double>(w[i] * z[i]);
        double kl = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < latent; ++j) {
                const double m = mu_logvar[i * 2 * latent + j];
                const double lv = mu_logvar[i * 2 * latent + latent + j];
                kl += -0.5 * (1.0 + lv - m * m - std::exp(lv));
            }
        }
        return (total + kl) / static_cast<double>(n);
    };
    // dz = w / N, as the decoder's backward would deliver it for a batch mean.
    std::vector<float> dz(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) dz[i] = w[i] / static_cast<float>(n);
    std::vector<float> grad(base.mu_logvar.size());
    detail::reparameterize_backward(base.mu_logvar.data(), eps.data(), dz.data(), grad.data(), n,
                                    latent, 1.0f / static_cast<float>(n));
    for (std::size_t i = 0; i < grad.size(); ++i) {
        const float h = 1e-2f;
        std::vector<float> plus = base.mu_logvar, minus = base.mu_logvar;
        plus[i] += h;
        minus[i] -= h;
        EXPECT_NEAR(grad[i], (loss(plus) - loss(minus)) / (2.0 * h), 1e-3) << "element " << i;
    }
}

TEST(NormalGenerator, DeterministicAndStandard) {
    std::vector<float> a(100000), b(100000), c(100000);
    detail::standard_normal(42, 7, a.data(), a.size());
    detail::standard_normal(42, 7, b.data(), b.size());
    detail::standard_normal(42, 8, c.data(), c.size());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    double mean = 0.0, var = 0.0;
    for (float v : a) mean += v;
    mean /= static_cast<double>(a.size());
    for (float v : a) var += (v - mean) * (v - mean);
    var /= static_cast<double>(a.size());
    EXPECT_NEAR(mean, 0.0, 0.01);
    EXPECT_NEAR(var, 1.0, 0.02);
}

}  // namespace
}  // namespace vaednn
