#include <tbb/concurrent_queue.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <limits>
#include <stdexcept>
#include <thread>

#include "vaednn/error.hpp"
#include "vaednn/pipeline.hpp"

namespace vaednn {

namespace {

// What the loaders hand to the training thread.
struct Ready {
    enum class Kind { batch, end, error } kind = Kind::batch;
    std::size_t batch = 0;
    std::size_t slot = 0;
    std::exception_ptr error;
};

// A token travelling down the pipeline: which batch goes into which buffer, and the loader's
// exception when filling it failed. The error travels with its batch rather than out of the
// parallel stage, where oneTBB would cancel the pipeline and drop the earlier batches in flight.
struct Work {
    std::size_t batch = 0;
    std::size_t slot = 0;
    std::exception_ptr error;
};

constexpr std::size_t kNoBatch = std::numeric_limits<std::size_t>::max();

}  // namespace

struct BatchPipeline::Impl {
    std::vector<std::uint32_t> order;
    std::size_t batch_size, pixels, first_batch, batches;
    Gather gather;
    std::vector<std::vector<float>> buffers;
    tbb::concurrent_bounded_queue<std::size_t> free_slots;
    tbb::concurrent_bounded_queue<Ready> ready;
    std::atomic<bool> cancelled{false};
    // The earliest batch whose loader failed (kNoBatch while none has): no batch is issued after
    // a failure, and batches after the failing one are not loaded.
    std::atomic<std::size_t> first_failed{kNoBatch};
    // Set by the last (serial) stage once the error went to the trainer: nothing follows it.
    // produce() reads it only after the pipeline has finished.
    bool error_delivered = false;
    std::thread producer;
    std::optional<std::size_t> held_slot;
    double stall = 0.0;

    std::size_t count_of(std::size_t batch) const {
        return std::min(batch_size, order.size() - batch * batch_size);
    }

    bool stopping() const { return cancelled.load() || first_failed.load() != kNoBatch; }

    void record_failure(std::size_t batch) {
        std::size_t seen = first_failed.load();
        while (batch < seen && !first_failed.compare_exchange_weak(seen, batch)) {
        }
    }

    // Input stage: the next batch and a free buffer for it, or false once there is nothing more
    // to issue. Waits for the trainer to free a buffer; a failure seen meanwhile still stops it.
    bool issue(Work& work, std::size_t& next) {
        if (next == batches || stopping()) return false;
        free_slots.pop(work.slot);
        if (stopping()) {
            free_slots.push(work.slot);
            return false;
        }
        work.batch = next++;
        return true;
    }

    // Parallel stage: fills the batch's buffer, or records why it could not.
    void load(Work& work) {
        // A batch after a failed one would never be delivered: skip its loading.
        if (work.batch > first_failed.load()) return;
        try {
            const std::size_t n = count_of(work.batch);
            gather({order.data() + work.batch * batch_size, n},
                   {buffers[work.slot].data(), n * pixels});
        } catch (...) {
            work.error = std::current_exception();
            record_failure(work.batch);
        }
    }

    // Last stage, in batch order: hands batches over until the first error, then the error, then
    // nothing; the buffers of batches not handed over go back to the pool.
    void deliver(const Work& work) {
        if (error_delivered || work.error) {
            free_slots.push(work.slot);
            if (error_delivered) return;
            error_delivered = true;
            ready.push({Ready::Kind::error, work.batch, 0, work.error});
            return;
        }
        ready.push({Ready::Kind::batch, work.batch, work.slot, {}});
    }

    void run_pipeline() {
        std::size_t next = first_batch;
        // The loaders' own arena keeps their work apart from the caller's threads.
        tbb::task_arena arena;
        arena.execute([&] {
            tbb::parallel_pipeline(
                buffers.size(),
                tbb::make_filter<void, Work>(tbb::filter_mode::serial_in_order,
                                             [&](tbb::flow_control& control) {
                                                 Work work;
                                                 if (!issue(work, next)) control.stop();
                                                 return work;
                                             }) &
                    tbb::make_filter<Work, Work>(tbb::filter_mode::parallel,
                                                 [&](Work work) {
                                                     load(work);
                                                     return work;
                                                 }) &
                    tbb::make_filter<Work, void>(tbb::filter_mode::serial_in_order,
                                                 [&](const Work& work) { deliver(work); }));
        });
    }

    void produce() {
        try {
            run_pipeline();
            if (!error_delivered) ready.push({Ready::Kind::end, 0, 0, {}});
        } catch (const tbb::user_abort&) {
            // The queues were aborted: the consumer is gone.
        } catch (...) {
            // A failure of the pipeline itself (a loader's error travels in its token).
            if (error_delivered) return;
            try {
                ready.push({Ready::Kind::error, 0, 0, std::current_exception()});
            } catch (const tbb::user_abort&) {
            }
        }
    }
};

BatchPipeline::BatchPipeline(std::vector<std::uint32_t> order, std::size_t batch_size,
                             std::size_t pixels, Gather gather, std::size_t first_batch,
                             std::size_t depth)
    : impl_(std::make_unique<Impl>()) {
    if (batch_size == 0 || pixels == 0 || depth < 2) {
        throw ConfigError("a batch pipeline needs a batch size, an image size and 2 buffers");
    }
    Impl& p = *impl_;
    p.order = std::move(order);
    p.batch_size = batch_size;
    p.pixels = pixels;
    p.batches = (p.order.size() + batch_size - 1) / batch_size;
    if (first_batch > p.batches) {
        throw ConfigError("the pipeline's first batch lies past the end of the epoch");
    }
    p.first_batch = first_batch;
    p.gather = std::move(gather);
    p.buffers.assign(depth, std::vector<float>(batch_size * pixels));
    p.free_slots.set_capacity(static_cast<std::ptrdiff_t>(depth));
    p.ready.set_capacity(static_cast<std::ptrdiff_t>(depth) + 1);  // + the end or error marker
    for (std::size_t slot = 0; slot < depth; ++slot) p.free_slots.push(slot);
    p.producer = std::thread([&p] { p.produce(); });
}

BatchPipeline::~BatchPipeline() {
    impl_->cancelled = true;
    impl_->free_slots.abort();
    impl_->ready.abort();
    impl_->producer.join();
}

std::optional<BatchPipeline::Batch> BatchPipeline::next() {
    Impl& p = *impl_;
    if (p.held_slot) {
        p.free_slots.push(*p.held_slot);
        p.held_slot.reset();
    }
    Ready item;
    if (!p.ready.try_pop(item)) {
        const auto start = std::chrono::steady_clock::now();
        p.ready.pop(item);
        p.stall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    switch (item.kind) {
        case Ready::Kind::end: {
            p.ready.push(item);  // stays at the end for any further call
            return std::nullopt;
        }
        case Ready::Kind::error: {
            p.ready.push(item);
            std::rethrow_exception(item.error);
        }
        case Ready::Kind::batch:
            break;
    }
    p.held_slot = item.slot;
    const std::size_t n = p.count_of(item.batch);
    return Batch{item.batch,
                 {p.order.data() + item.batch * p.batch_size, n},
                 {p.buffers[item.slot].data(), n * p.pixels}};
}

double BatchPipeline::stall_seconds() const noexcept {
    return impl_->stall;
}
std::size_t BatchPipeline::batch_count() const noexcept {
    return impl_->batches;
}

}  // namespace vaednn
