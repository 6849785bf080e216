// The trainer: the seeded data order, batch assembly, and a short run that learns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "vaednn/error.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {
namespace {

TEST(EpochOrder, IsAPermutationFixedBySeedAndEpoch) {
    const auto a = epoch_order(1000, 7, 1);
    std::vector<std::uint32_t> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
    EXPECT_EQ(a, epoch_order(1000, 7, 1));
    EXPECT_NE(a, epoch_order(1000, 7, 2));
    EXPECT_NE(a, epoch_order(1000, 8, 1));
    // Shuffled, not merely rotated: few images keep their place.
    std::size_t fixed_points = 0;
    for (std::uint32_t i = 0; i < 1000; ++i) fixed_points += a[i] == i;
    EXPECT_LT(fixed_points, 10u);
}

TEST(EpochOrder, HandlesTinySets) {
    EXPECT_TRUE(epoch_order(0, 1, 1).empty());
    EXPECT_EQ(epoch_order(1, 1, 1), std::vector<std::uint32_t>{0});
}

ImageSet tiny_set(std::size_t count) {
    ImageSet set;
    set.count = count;
    set.rows = 28;
    set.cols = 28;
    set.pixels.resize(count * 784);
    set.labels.resize(count);
    for (std::size_t i = 0; i < set.pixels.size(); ++i) {
        // A digit-like blob per image: a bright square whose place depends on the image.
        const std::size_t image = i / 784, y = (i % 784) / 28, x = i % 28;
        const std::size_t cy = 8 + image % 12, cx = 8 + (image * 5) % 12;
        set.pixels[i] = (y >= cy - 4 && y < cy + 4 && x >= cx - 3 && x < cx + 3) ? 255 : 0;
    }
    return set;
}

// The smallest model with every layer kind, for tests that need training to run, not to learn.
VaeConfig tiny_config() {
    VaeConfig config;
    config.hidden = 8;
    config.latent = 2;
    config.decoder_channels = {2, 2, 2};
    return config;
}

TEST(GatherBatch, ScalesTheChosenImages) {
    const ImageSet set = tiny_set(5);
    std::vector<float> out(2 * 784);
    const std::vector<std::uint32_t> pick = {4, 1};
    gather_batch(set, pick, out);
    for (std::size_t p = 0; p < 784; ++p) {
        EXPECT_FLOAT_EQ(out[p], set.image(4)[p] / 255.0f);
        EXPECT_FLOAT_EQ(out[784 + p], set.image(1)[p] / 255.0f);
    }
}

TEST(Trainer, AShortRunLowersTheTestLoss) {
    Dataset data{"blobs", ".", tiny_set(300), tiny_set(60)};
    VaeConfig config;
    config.hidden = 32;
    config.latent = 4;
    config.decoder_channels = {8, 8, 8};
    config.reference_batch = 32;
    Vae vae(config, 1);
    Trainer trainer(vae, data, {32, 1, 0});
    const LossTerms before = trainer.evaluate(data.test);
    std::size_t callbacks = 0;
    EpochMetrics last;
    for (int epoch = 0; epoch < 4; ++epoch) {
        last = *trainer.run_epoch([&](const StepReport& step) {
            ++callbacks;
            EXPECT_EQ(step.epoch, epoch + 1);
            EXPECT_LE(step.batch, step.batches);
            EXPECT_EQ(step.batches, 10u);  // 300 / 32: nine full batches and one of 12
            EXPECT_EQ(step.images, step.batch == 10 ? 12u : 32u);
            EXPECT_TRUE(std::isfinite(step.loss.loss));
        });
    }
    EXPECT_EQ(callbacks, 40u);
    EXPECT_EQ(trainer.epochs_done(), 4);
    EXPECT_EQ(last.images, 300u);
    EXPECT_EQ(vae.optimizer_steps(), 40);
    EXPECT_LT(last.test.loss, 0.6 * before.loss)
        << "test loss " << before.loss << " -> " << last.test.loss;
    EXPECT_GT(last.images_per_second, 0.0);
}

TEST(Trainer, ANonFiniteLossStopsTrainingWithAClearError) {
    Dataset data{"blobs", ".", tiny_set(64), tiny_set(16)};
    Vae vae(tiny_config(), 1);
    std::vector<Tensor> params = vae.parameters();
    for (Tensor& t : params) {
        if (t.name == "decoder.deconv3.bias") t.values[0] = std::numeric_limits<float>::quiet_NaN();
    }
    vae.set_parameters(params);
    Trainer trainer(vae, data, {16, 1, 0});
    try {
        trainer.run_epoch();
        FAIL() << "a NaN loss went unnoticed";
    } catch (const NumericalError& e) {
        EXPECT_NE(std::string(e.what()).find("the loss is nan at epoch 1, batch 1 of 4"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Trainer, LimitAndImageSizeChecks) {
    Dataset data{"blobs", ".", tiny_set(50), tiny_set(10)};
    Vae vae(tiny_config(), 1);
    EXPECT_EQ(Trainer(vae, data, {16, 1, 20}).train_count(), 20u);
    EXPECT_EQ(Trainer(vae, data, {16, 1, 500}).train_count(), 50u);
    EXPECT_THROW(Trainer(vae, data, {0, 1, 0}), ConfigError);
    Dataset wrong = data;
    wrong.train.rows = 32;
    // Images of another size are a fault of the data, not of the options.
    EXPECT_THROW(Trainer(vae, wrong, {16, 1, 0}), DataError);
    EXPECT_THROW(Trainer(vae, data, {kMaxBatchSize + 1, 1, 0}), ConfigError);
}

}  // namespace
}  // namespace vaednn
