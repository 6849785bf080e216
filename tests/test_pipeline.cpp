// The batch pipeline: every image exactly once per epoch in the seeded order, resumable from any
// batch, and a loader's error reaches the training thread as that error, never a hang.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "vaednn/error.hpp"
#include "vaednn/pipeline.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {
namespace {

// Each "image" is one pixel holding its own index, so a batch shows which images it holds.
BatchPipeline::Gather index_gather(std::atomic<int>* calls = nullptr) {
    return [calls](std::span<const std::uint32_t> indices, std::span<float> out) {
        if (calls != nullptr) ++*calls;
        for (std::size_t i = 0; i < indices.size(); ++i) out[i] = static_cast<float>(indices[i]);
    };
}

TEST(BatchPipeline, DeliversEveryImageOnceInTheSeededOrder) {
    const std::size_t count = 1000, batch = 64;
    const std::vector<std::uint32_t> order = epoch_order(count, 11, 3);
    BatchPipeline pipeline(order, batch, 1, index_gather());
    EXPECT_EQ(pipeline.batch_count(), 16u);  // 15 of 64 and one of 40
    std::vector<std::uint32_t> seen;
    std::size_t expected_index = 0;
    while (const auto b = pipeline.next()) {
        EXPECT_EQ(b->index, expected_index++);
        EXPECT_EQ(b->images.size(), b->indices.size());
        EXPECT_EQ(b->indices.size(), b->index < 15 ? 64u : 40u);
        for (std::size_t i = 0; i < b->indices.size(); ++i) {
            EXPECT_EQ(b->images[i], static_cast<float>(b->indices[i]));  // the right pixels
            seen.push_back(b->indices[i]);
        }
    }
    EXPECT_EQ(seen, order);
    EXPECT_FALSE(pipeline.next().has_value()) << "stays at the end";
    EXPECT_GE(pipeline.stall_seconds(), 0.0);
}

TEST(BatchPipeline, StartsFromAnyBatch) {
    const std::vector<std::uint32_t> order = epoch_order(300, 5, 1);
    BatchPipeline pipeline(order, 32, 1, index_gather(), 7);
    std::vector<std::uint32_t> seen;
    while (const auto b = pipeline.next())
        seen.insert(seen.end(), b->indices.begin(), b->indices.end());
    EXPECT_EQ(seen, std::vector<std::uint32_t>(order.begin() + 7 * 32, order.end()));
}

TEST(BatchPipeline, LoaderErrorReachesTheTrainingThread) {
    const std::vector<std::uint32_t> order = epoch_order(500, 1, 1);
    BatchPipeline pipeline(
        order, 50, 1, [](std::span<const std::uint32_t> indices, std::span<float> out) {
            for (std::size_t i = 0; i < indices.size(); ++i) {
                if (indices[i] == 123)
                    throw DataError(DataErrorKind::io, "images.idx", "read failed at image 123");
                out[i] = 0.0f;
            }
        });
    const auto position = std::find(order.begin(), order.end(), 123u) - order.begin();
    const auto failing_batch = static_cast<std::size_t>(position) / 50;
    std::size_t delivered = 0;
    try {
        while (pipeline.next()) ++delivered;
        FAIL() << "the loader's error was lost";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "images.idx: read failed at image 123");
    }
    EXPECT_EQ(delivered, failing_batch) << "every batch before the failing one arrives first";
    EXPECT_THROW(pipeline.next(), DataError) << "the error stays";
}

TEST(BatchPipeline, StoppingEarlyDoesNotHang) {
    std::atomic<int> calls{0};
    {
        BatchPipeline pipeline(epoch_order(100000, 1, 1), 10, 1, index_gather(&calls));
        ASSERT_TRUE(pipeline.next().has_value());
    }  // destroyed with thousands of batches to go
    EXPECT_LT(calls.load(), 100) << "the loaders stop when the consumer goes";
}

TEST(BatchPipeline, RejectsUnusableSettings) {
    EXPECT_THROW(BatchPipeline({1, 2, 3}, 0, 1, index_gather()), ConfigError);
    EXPECT_THROW(BatchPipeline({1, 2, 3}, 2, 1, index_gather(), 0, 1), ConfigError);
    EXPECT_THROW(BatchPipeline({1, 2, 3}, 2, 1, index_gather(), 5), ConfigError);
}

}  // namespace
}  // namespace vaednn
