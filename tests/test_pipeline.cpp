// The batch pipeline: every image exactly once per epoch in the seeded order, resumable from any
// batch, and a loader's error reaches the training thread as that error, never a hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
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

// Lets one loader wait until another has reached a point, with a deadline so that a pipeline
// run by a single thread (where the other loader cannot start first) still finishes.
class Signal {
  public:
    void raise() {
        {
            std::lock_guard lock(mutex_);
            raised_ = true;
        }
        raised_cv_.notify_all();
    }
    // Whether the signal came before the deadline.
    bool wait(std::chrono::seconds deadline) {
        std::unique_lock lock(mutex_);
        return raised_cv_.wait_for(lock, deadline, [this] { return raised_; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable raised_cv_;
    bool raised_ = false;
};

TEST(BatchPipeline, LoaderErrorReachesTheTrainingThread) {
    const std::vector<std::uint32_t> order = epoch_order(500, 1, 1);
    const auto position = std::find(order.begin(), order.end(), 123u) - order.begin();
    const auto failing_batch = static_cast<std::size_t>(position) / 50;
    // The first batch waits for the failing one, so every batch up to it must be in flight at
    // once: fewer than the pipeline's 4 buffers.
    ASSERT_GE(failing_batch, 1u);
    ASSERT_LT(failing_batch, 4u);

    // Batch 0's loader holds on until the failing loader has thrown: the error is then raised
    // while an earlier batch is still being loaded, the case that used to drop that batch. (With
    // a single loader thread batch 0 must finish before the failing batch starts; the deadline
    // lets it.)
    Signal thrown;
    bool overlapped = false;
    BatchPipeline pipeline(
        order, 50, 1, [&](std::span<const std::uint32_t> indices, std::span<float> out) {
            for (std::size_t i = 0; i < indices.size(); ++i) {
                if (indices[i] == 123) {
                    thrown.raise();
                    throw DataError(DataErrorKind::io, "images.idx", "read failed at image 123");
                }
                out[i] = static_cast<float>(indices[i]);
            }
            if (indices[0] == order[0]) overlapped = thrown.wait(std::chrono::seconds(10));
        });
    std::size_t delivered = 0;
    try {
        while (const auto b = pipeline.next()) {
            EXPECT_EQ(b->index, delivered) << "in order";
            for (std::size_t i = 0; i < b->indices.size(); ++i) {
                EXPECT_EQ(b->indices[i], order[b->index * 50 + i]);
                EXPECT_EQ(b->images[i], static_cast<float>(b->indices[i]));
            }
            ++delivered;
        }
        FAIL() << "the loader's error was lost";
    } catch (const DataError& e) {
        EXPECT_STREQ(e.what(), "images.idx: read failed at image 123");
    }
    EXPECT_EQ(delivered, failing_batch) << "every batch before the failing one arrives first";
    EXPECT_THROW(pipeline.next(), DataError) << "the error stays";
    EXPECT_THROW(pipeline.next(), DataError) << "and nothing follows it";
    if (!overlapped) std::puts("note: one loader thread; the error did not overlap batch 0");
}

// A failure in the very first batch: nothing is delivered, the error is, and later batches that
// also fail do not replace it.
TEST(BatchPipeline, FirstErrorWinsAndNothingFollowsIt) {
    const std::vector<std::uint32_t> order = epoch_order(400, 2, 1);
    std::atomic<int> failures{0};
    BatchPipeline pipeline(order, 10, 1,
                           [&](std::span<const std::uint32_t> indices, std::span<float>) {
                               const bool first = indices[0] == order[0];
                               ++failures;
                               throw DataError(DataErrorKind::io, "images.idx",
                                               first ? "batch 0 failed" : "a later batch failed");
                           });
    for (int call = 0; call < 3; ++call) {
        try {
            (void)pipeline.next();
            FAIL() << "a batch arrived although every loader failed";
        } catch (const DataError& e) {
            EXPECT_STREQ(e.what(), "images.idx: batch 0 failed");
        }
    }
    EXPECT_LE(failures.load(), 4) << "no batch is issued once a loader failed (4 buffers)";
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
