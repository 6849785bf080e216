// The C++ model against its PyTorch twin: loss terms, every gradient, and three Adam steps, for
// every fixture tools/vae_twin.py writes (regenerate: /usr/bin/python3 tools/vae_twin.py fixtures),
// with each of the LSTM's kernels.
#include <gtest/gtest.h>

#include "golden_fixture.hpp"
#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"

namespace vaednn {
namespace {

using testing::GoldenFixture;

constexpr double kTolerance = 1e-4;

void expect_loss_near(const LossTerms& ours, const float* torch_terms, const std::string& what) {
    const double loss = torch_terms[0], recon = torch_terms[1], kl = torch_terms[2];
    EXPECT_NEAR(ours.loss, loss, kTolerance * std::fabs(loss)) << what << " loss";
    EXPECT_NEAR(ours.reconstruction, recon, kTolerance * std::fabs(recon))
        << what << " reconstruction";
    // KL is near zero at initialisation: its tolerance is relative to the loss it is part of.
    EXPECT_NEAR(ours.kl, kl, kTolerance * std::fabs(loss)) << what << " KL";
}

class Golden : public ::testing::TestWithParam<std::tuple<std::string, LstmKernel>> {
  protected:
    static std::string fixture_name() { return std::get<0>(GetParam()); }
    static std::string what() {
        return fixture_name() + " (LSTM " + to_string(std::get<1>(GetParam())) + ")";
    }
    static Vae model(const GoldenFixture& fixture) {
        return Vae(fixture.config, 0, ComputeOptions{std::get<1>(GetParam())});
    }
};

TEST_P(Golden, LossAndEveryGradientMatchPyTorch) {
    const GoldenFixture fixture(fixture_name());
    Vae vae = model(fixture);
    vae.set_parameters(fixture.with_prefix("param."));
    vae.use_fixed_noise(fixture.values("input.eps"));

    const LossTerms loss = vae.compute_gradients(fixture.values("input.images"));
    expect_loss_near(loss, fixture.values("loss.terms").data(), what());
    testing::expect_tensors_near(vae.gradients(), fixture.with_prefix("grad."), kTolerance,
                                 what() + " gradient");
    // set_parameters/parameters round-trip through the arena's layouts unchanged.
    testing::expect_tensors_near(vae.parameters(), fixture.with_prefix("param."), 0.0,
                                 what() + " parameter round trip");
}

TEST_P(Golden, ThreeAdamStepsMatchPyTorch) {
    const GoldenFixture fixture(fixture_name());
    Vae vae = model(fixture);
    vae.set_parameters(fixture.with_prefix("param."));
    vae.use_fixed_noise(fixture.values("input.eps"));
    const auto& losses = fixture.values("loss.terms");
    for (std::size_t step = 0; step < 3; ++step) {
        const LossTerms loss = vae.train_step(fixture.values("input.images"));
        expect_loss_near(loss, losses.data() + 3 * step,
                         what() + " step " + std::to_string(step + 1));
    }
    EXPECT_EQ(vae.optimizer_steps(), 3);
    // Adam divides each gradient by its own running RMS, so a gradient at float-rounding level
    // (an input column blank in every image) still moves its weight by up to lr per step, in a
    // direction set by rounding: the differences it makes scale with the learning rate, not with
    // the weights. (The gradients themselves are checked above to 1e-4 of their tensor's
    // largest.) Every weight must land within 5% of one step's size of PyTorch's.
    const double step_size = fixture.config.adam.learning_rate;
    testing::expect_tensors_within(vae.parameters(), fixture.with_prefix("step3.param."),
                                   0.05 * step_size, what() + " after 3 Adam steps");
}

TEST_P(Golden, SameResultWithOneAndTwoThreads) {
    const GoldenFixture fixture(fixture_name());
    std::vector<std::vector<Tensor>> grads;
    for (int threads : {1, 2}) {
        set_compute_threads(threads);
        Vae vae = model(fixture);
        vae.set_parameters(fixture.with_prefix("param."));
        vae.use_fixed_noise(fixture.values("input.eps"));
        vae.compute_gradients(fixture.values("input.images"));
        grads.push_back(vae.gradients());
    }
    // Thread counts may change oneDNN's summation order, never the result beyond rounding.
    testing::expect_tensors_near(grads[1], grads[0], 1e-5, what() + " 2 vs 1 threads");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden,
                         ::testing::Combine(::testing::Values("small", "default", "small_gaussian"),
                                            ::testing::Values(LstmKernel::fused,
                                                              LstmKernel::onednn)),
                         [](const auto& test_info) {
                             return std::get<0>(test_info.param) + "_" +
                                    to_string(std::get<1>(test_info.param));
                         });

}  // namespace
}  // namespace vaednn
