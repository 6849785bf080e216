// The public model API: configuration checks, batch sizes, determinism, encode/decode/sample.
#include <gtest/gtest.h>

#include <cmath>

#include "golden_fixture.hpp"
#include "test_support.hpp"
#include "vaednn/error.hpp"
#include "vaednn/model.hpp"

namespace vaednn {
namespace {

VaeConfig small_config() {
    return testing::small_test_config();
}

std::vector<float> images(std::size_t n, unsigned salt = 0) {
    std::vector<float> v(n * 784);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>((i * 2654435761u + salt) % 1000u) / 999.0f;
    }
    return v;
}

TEST(VaeConfig, RejectsUnworkableValues) {
    auto expect_rejected = [](VaeConfig c, const std::string& fragment) {
        try {
            Vae vae(c);
            FAIL() << "accepted a config that should fail: " << fragment;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    VaeConfig c = small_config();
    c.hidden = 0;
    expect_rejected(c, "hidden size 0");
    c = small_config();
    c.image_rows = 30;
    expect_rejected(c, "multiples of 4");
    c = small_config();
    c.decoder_channels[1] = -2;
    expect_rejected(c, "decoder channel count -2");
    c = small_config();
    c.adam.learning_rate = 0.0f;
    expect_rejected(c, "learning rate");
    EXPECT_THROW(likelihood_from_string("poisson"), ConfigError);
}

TEST(Vae, RejectsPartialImagesAndWrongNoise) {
    Vae vae(small_config(), 1);
    std::vector<float> partial(784 * 2 + 5);
    EXPECT_THROW(vae.train_step(partial), ConfigError);
    vae.use_fixed_noise(std::vector<float>(3 * 4));
    EXPECT_THROW(vae.train_step(images(2)), ConfigError);  // noise for 3 images, batch of 2
}

TEST(Vae, SetParametersChecksNamesAndShapesBeforeChangingAnything) {
    Vae vae(small_config(), 1);
    const auto before = vae.parameters();
    auto wrong = before;
    wrong.back().shape = {2};
    wrong.back().values = {1.0f, 2.0f};
    wrong.front().values.assign(wrong.front().values.size(), 0.5f);
    EXPECT_THROW(vae.set_parameters(wrong), ConfigError);
    auto missing = before;
    missing.pop_back();
    EXPECT_THROW(vae.set_parameters(missing), ConfigError);
    testing::expect_tensors_near(vae.parameters(), before, 0.0, "unchanged after rejected sets");
}

TEST(Vae, ParameterNamesAndCountMatchThePyTorchModel) {
    Vae vae(VaeConfig{}, 1);
    // LSTM 4*256*(28+256) + 2*1024, heads 2*(20*256+20), fc 1568*21, deconvs 32*64*9+64,
    // 64*32*9+32, 32*9+1.
    EXPECT_EQ(vae.parameter_count(), 290816u + 2048u + 10280u + 32928u + 18496u + 18464u + 289u);
    std::vector<std::string> names;
    for (const Tensor& t : vae.parameters()) names.push_back(t.name);
    const std::vector<std::string> expected = {
        "encoder.lstm.weight_ih_l0", "encoder.lstm.weight_hh_l0", "encoder.lstm.bias_ih_l0",
        "encoder.lstm.bias_hh_l0",   "encoder.fc_mu.weight",      "encoder.fc_logvar.weight",
        "encoder.fc_mu.bias",        "encoder.fc_logvar.bias",    "decoder.fc.weight",
        "decoder.fc.bias",           "decoder.deconv1.weight",    "decoder.deconv1.bias",
        "decoder.deconv2.weight",    "decoder.deconv2.bias",      "decoder.deconv3.weight",
        "decoder.deconv3.bias"};
    EXPECT_EQ(names, expected);
}

TEST(Vae, ParameterShapesAgreeWithTheModel) {
    for (const VaeConfig& config : {VaeConfig{}, small_config()}) {
        const auto shapes = parameter_shapes(config);
        const auto params = Vae(config, 1).parameters();
        ASSERT_EQ(shapes.size(), params.size());
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            EXPECT_EQ(shapes[i].name, params[i].name);
            EXPECT_EQ(shapes[i].shape, params[i].shape) << params[i].name;
        }
    }
}

TEST(Vae, SameSeedSameTrajectoryDifferentSeedDifferent) {
    auto run = [](std::uint64_t seed) {
        Vae vae(small_config(), seed);
        std::vector<double> losses;
        for (unsigned step = 0; step < 4; ++step)
            losses.push_back(vae.train_step(images(8, step)).loss);
        return losses;
    };
    EXPECT_EQ(run(5), run(5));
    EXPECT_NE(run(5), run(6));
}

// Batches of `n` real digits, cycling through the four in the default fixture.
std::vector<float> digits(std::size_t n) {
    static const testing::GoldenFixture fixture("default");
    const auto& four = fixture.values("input.images");
    std::vector<float> out;
    for (std::size_t i = 0; i < n; ++i) {
        const auto first = four.begin() + static_cast<std::ptrdiff_t>((i % 4) * 784);
        out.insert(out.end(), first, first + 784);
    }
    return out;
}

TEST(Vae, SeveralBatchSizesShareTheParameters) {
    Vae vae(small_config(), 3);
    const auto x5 = digits(5);
    vae.use_fixed_noise(std::vector<float>(5 * 4, 0.25f));
    const double before = vae.evaluate(x5).loss;
    vae.use_random_noise();
    for (int step = 0; step < 30; ++step) {
        vae.train_step(digits(8));  // batch 8
        vae.train_step(digits(3));  // a smaller last batch
    }
    vae.use_fixed_noise(std::vector<float>(5 * 4, 0.25f));
    const double after = vae.evaluate(x5).loss;
    EXPECT_LT(after, before - 10.0) << "training on batches of 8 and 3 lowers the loss at 5";
    EXPECT_EQ(vae.optimizer_steps(), 60);
}

TEST(Vae, EncodeDecodeSampleShapesAndRanges) {
    Vae vae(small_config(), 4);
    const auto x = images(6);
    std::vector<float> mu(6 * 4), logvar(6 * 4);
    vae.encode(x, mu, logvar);
    for (float v : mu) EXPECT_TRUE(std::isfinite(v));

    std::vector<float> pixels(6 * 784);
    vae.decode(mu, pixels);
    for (float p : pixels) {
        EXPECT_GE(p, 0.0f);
        EXPECT_LE(p, 1.0f);
    }
    std::vector<float> samples(2 * 784), again(2 * 784);
    vae.sample(samples);
    vae.sample(again);
    EXPECT_NE(samples, again) << "each call draws new z";

    std::vector<float> wrong(5);
    EXPECT_THROW(vae.decode(mu, wrong), ConfigError);
    EXPECT_THROW(vae.encode(x, wrong, logvar), ConfigError);
}

TEST(Vae, EncodeAgreesWithThePyTorchTwin) {
    // mu from encode() must be the mu the golden loss was computed from: decode(mu + sigma eps)
    // through evaluate() reproduces the twin's loss.
    const testing::GoldenFixture fixture("small");
    Vae vae(fixture.config, 0);
    vae.set_parameters(fixture.with_prefix("param."));
    vae.use_fixed_noise(fixture.values("input.eps"));
    const double torch_loss = fixture.values("loss.terms")[0];
    EXPECT_NEAR(vae.evaluate(fixture.values("input.images")).loss, torch_loss, 1e-4 * torch_loss);
}

}  // namespace
}  // namespace vaednn
