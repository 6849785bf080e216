// Loads batches ahead of the training thread: a oneTBB parallel_pipeline assembles them (gather,
// scale, lay out) in parallel into a fixed pool of reusable buffers and hands them over, in order,
// through a small bounded queue. The training thread only waits when it outruns the loaders, and
// that wait is measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

class VAEDNN_EXPORT BatchPipeline {
  public:
    // Fills `out` (indices.size() x pixels floats) with the images `indices`. Called from
    // several loader threads at once, for different batches. May throw: the exception reaches
    // the caller of next() after every batch before the failing one (see next()).
    using Gather =
        std::function<void(std::span<const std::uint32_t> indices, std::span<float> out)>;

    struct Batch {
        std::size_t index = 0;                   // position in the epoch, from 0
        std::span<const std::uint32_t> indices;  // the images it holds
        std::span<const float> images;           // indices.size() x pixels
    };

    // Delivers the batches of `order` (batch b holds order[b*batch_size, ...]; the last may be
    // smaller) from batch `first_batch` on. `depth` buffers are in flight at most (>= 2).
    BatchPipeline(std::vector<std::uint32_t> order, std::size_t batch_size, std::size_t pixels,
                  Gather gather, std::size_t first_batch = 0, std::size_t depth = 4);
    // Stops the loaders and waits for them.
    ~BatchPipeline();
    BatchPipeline(const BatchPipeline&) = delete;
    BatchPipeline& operator=(const BatchPipeline&) = delete;

    // The next batch, or nothing after the last. The previous batch's buffer goes back to the
    // pool, so a Batch is valid until the next call. When a loader throws, every batch before
    // the one it was loading still arrives, in order; then this call rethrows its exception (the
    // earliest batch's, when several fail), and so does every later call: no batch after it is
    // delivered, and the loaders start no new batch once one has failed.
    std::optional<Batch> next();

    // Seconds next() spent waiting for a batch that was not ready.
    double stall_seconds() const noexcept;
    std::size_t batch_count() const noexcept;

  private:
    struct VAEDNN_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vaednn
