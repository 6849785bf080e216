// Data parallel without MPI: how a batch is shared, that a share draws exactly the noise of its
// images of the whole batch, and that the shares' gradients add up to the whole batch's, so that
// processes that sum them take the step one process would. (tests/mpi_training.sh runs mpirun.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "model/kernels.hpp"
#include "test_support.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/error.hpp"
#include "vaednn/model.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {
namespace {

TEST(ShareOfBatch, CoversTheBatchInOrderWithSharesWithinOneImage) {
    for (const std::size_t total : {1u, 2u, 7u, 128u, 96u}) {
        for (const int ranks : {1, 2, 3, 8}) {
            std::size_t next = 0, smallest = total, largest = 0;
            for (int rank = 0; rank < ranks; ++rank) {
                const BatchRange share = share_of_batch(total, rank, ranks);
                EXPECT_EQ(share.first, next)
                    << total << " images, rank " << rank << " of " << ranks;
                next += share.count;
                smallest = std::min(smallest, share.count);
                largest = std::max(largest, share.count);
            }
            EXPECT_EQ(next, total) << total << " images over " << ranks << " ranks";
            EXPECT_LE(largest - smallest, 1u) << total << " images over " << ranks << " ranks";
        }
    }
    EXPECT_EQ(share_of_batch(1, 1, 2).count, 0u);  // a last batch smaller than the rank count
    EXPECT_THROW(share_of_batch(10, 2, 2), ConfigError);
    EXPECT_THROW(share_of_batch(10, 0, 0), ConfigError);
}

TEST(StandardNormal, AnyRangeIsThatSliceOfTheWholeDraw) {
    std::vector<float> whole(101);
    detail::standard_normal(42, 7, whole.data(), whole.size());
    for (const std::size_t first : {0u, 1u, 40u, 57u, 100u}) {
        std::vector<float> part(whole.size() - first);
        detail::standard_normal(42, 7, first, part.data(), part.size());
        for (std::size_t i = 0; i < part.size(); ++i) {
            ASSERT_EQ(part[i], whole[first + i]) << "element " << first + i;  // bit for bit
        }
    }
}

TEST(Communicator, ByDefaultIsThisProcessAlone) {
    Communicator alone;
    EXPECT_EQ(alone.rank(), 0);
    EXPECT_EQ(alone.size(), 1);
    EXPECT_EQ(alone.local_size(), 1);
    EXPECT_TRUE(alone.is_root());
    std::vector<float> values = {1.5f, -2.0f};
    alone.sum(values);  // the sum over one process is its own values
    EXPECT_EQ(values, (std::vector<float>{1.5f, -2.0f}));
    const std::vector<int> cpus = {0, 3};
    EXPECT_EQ(alone.gather_on_host(cpus), (std::vector<std::vector<int>>{{0, 3}}));
    EXPECT_EQ(alone.describe(), "one process");
}

std::vector<float> test_images(std::size_t count, std::size_t pixels) {
    std::vector<float> images(count * pixels);
    for (std::size_t i = 0; i < images.size(); ++i) {
        images[i] = static_cast<float>((i * 2654435761u) % 256u) / 255.0f;
    }
    return images;
}

float max_relative_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    float worst = 0.0f;
    for (std::size_t t = 0; t < a.size(); ++t) {
        float scale = 0.0f, diff = 0.0f;
        for (std::size_t i = 0; i < a[t].values.size(); ++i) {
            scale = std::max(scale, std::fabs(b[t].values[i]));
            diff = std::max(diff, std::fabs(a[t].values[i] - b[t].values[i]));
        }
        worst = std::max(worst, scale > 0.0f ? diff / scale : diff);
    }
    return worst;
}

// Two processes simulated in one: the first share's gradient is kept, and the second share's
// reducer adds it, as an allreduce would. The second model's step must equal one model's step
// on the whole batch (noise included), up to the order of the sums.
TEST(DataParallelStep, SharesOfABatchTakeTheStepOfTheWholeBatch) {
    const VaeConfig config = testing::small_test_config();
    const auto pixels = static_cast<std::size_t>(config.pixels());
    constexpr std::size_t kBatch = 7;  // odd: the shares differ by one image
    const std::vector<float> images = test_images(kBatch, pixels);

    Vae whole(config, 5);
    const LossTerms whole_loss = whole.train_step(images);

    const BatchRange first = share_of_batch(kBatch, 0, 2), second = share_of_batch(kBatch, 1, 2);
    Vae rank0(config, 5), rank1(config, 5);
    std::vector<float> rank0_gradient;
    rank0.set_gradient_reducer(
        [&](std::span<float> g) { rank0_gradient.assign(g.begin(), g.end()); });
    rank1.set_gradient_reducer([&](std::span<float> g) {
        ASSERT_EQ(g.size(), rank0_gradient.size());
        for (std::size_t i = 0; i < g.size(); ++i) g[i] += rank0_gradient[i];
    });
    const std::span<const float> all(images);
    const LossTerms loss0 = rank0.train_step(
        all.subspan(first.first * pixels, first.count * pixels), {first.first, kBatch});
    const LossTerms loss1 = rank1.train_step(
        all.subspan(second.first * pixels, second.count * pixels), {second.first, kBatch});

    const double summed = (loss0.loss * static_cast<double>(first.count) +
                           loss1.loss * static_cast<double>(second.count)) /
                          static_cast<double>(kBatch);
    EXPECT_NEAR(summed, whole_loss.loss, 1e-9 * std::fabs(whole_loss.loss));
    EXPECT_LT(max_relative_difference(rank1.parameters(), whole.parameters()), 1e-5f);
    EXPECT_LT(max_relative_difference(rank1.adam_moments(), whole.adam_moments()), 1e-4f);
    EXPECT_EQ(rank1.noise_state().training, whole.noise_state().training);
}

// A last batch smaller than the process count leaves a process with no image: it adds a zero
// gradient, takes the same Adam step and keeps its noise stream in step with the others.
TEST(DataParallelStep, AShareOfNoImagesKeepsStep) {
    const VaeConfig config = testing::small_test_config();
    Vae model(config, 3);
    bool reduced = false;
    model.set_gradient_reducer([&](std::span<float> g) {
        reduced = true;
        EXPECT_TRUE(std::all_of(g.begin(), g.end(), [](float v) { return v == 0.0f; }));
    });
    const LossTerms loss = model.train_step({}, {1, 1});
    EXPECT_TRUE(reduced);
    EXPECT_EQ(loss.loss, 0.0);
    EXPECT_EQ(model.optimizer_steps(), 1);
    EXPECT_EQ(model.noise_state().training, 1u);
    EXPECT_EQ(model.evaluate({}, {1, 1}).loss, 0.0);
    EXPECT_EQ(model.noise_state().training, 2u);
    // Without a share an empty batch is still an error.
    EXPECT_THROW(model.train_step({}), ConfigError);
}

}  // namespace
}  // namespace vaednn
