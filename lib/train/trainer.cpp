#include "vaednn/trainer.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>
#include <utility>

#include "model/counter_rng.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/error.hpp"
#include "vaednn/pipeline.hpp"

namespace vaednn {
namespace {

using detail::mix64;

// A uniform integer in [0, bound): draws below 2^64 mod bound are rejected, so the modulo has
// no bias.
std::uint64_t below(std::uint64_t bound, std::uint64_t& state) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (true) {
        const std::uint64_t r = mix64(state++);
        if (r >= threshold) return r % bound;
    }
}

void add_scaled(LossTerms& sum, const LossTerms& batch, double weight) {
    sum.loss += batch.loss * weight;
    sum.reconstruction += batch.reconstruction * weight;
    sum.kl += batch.kl * weight;
}

void divide(LossTerms& sum, double count) {
    sum.loss /= count;
    sum.reconstruction /= count;
    sum.kl /= count;
}

// CRC-32 of the pixels, the sizes and a separator per split, twice (two seeds of the sum, so
// 64 bits in all): a cheap, deterministic fingerprint, not a cryptographic one.
std::string digest_of(const ImageSet& train, std::size_t train_count, const ImageSet& test) {
    std::uint32_t sums[2] = {0, 0x9E3779B9u};
    for (std::uint32_t& sum : sums) {
        for (const auto& [set, count] : {std::pair{&train, train_count}, {&test, test.count}}) {
            const std::string sizes = fmt::format("{}x{}x{};", count, set->rows, set->cols);
            sum = static_cast<std::uint32_t>(
                crc32_z(sum, reinterpret_cast<const Bytef*>(sizes.data()), sizes.size()));
            sum = static_cast<std::uint32_t>(
                crc32_z(sum, set->pixels.data(), count * set->pixels_per_image()));
        }
    }
    return fmt::format("crc32:{:08x}{:08x}", sums[0], sums[1]);
}

}  // namespace

std::vector<std::uint32_t> epoch_order(std::size_t count, std::uint64_t seed, int epoch) {
    std::vector<std::uint32_t> order(count);
    std::iota(order.begin(), order.end(), 0u);
    std::uint64_t state = mix64(seed ^ mix64(static_cast<std::uint64_t>(epoch)));
    for (std::size_t i = count; i > 1; --i) {
        std::swap(order[i - 1], order[below(i, state)]);
    }
    return order;
}

BatchRange share_of_batch(std::size_t total, int rank, int ranks) {
    if (ranks < 1 || rank < 0 || rank >= ranks) {
        throw ConfigError(fmt::format("rank {} of {} processes does not exist", rank, ranks));
    }
    const auto r = static_cast<std::size_t>(rank), n = static_cast<std::size_t>(ranks);
    const std::size_t base = total / n, extra = total % n;
    return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

void gather_batch(const ImageSet& set, std::span<const std::uint32_t> indices,
                  std::span<float> out) {
    const std::size_t pixels = set.pixels_per_image();
    constexpr float kScale = 1.0f / 255.0f;
    for (std::size_t b = 0; b < indices.size(); ++b) {
        const auto image = set.image(indices[b]);
        float* dst = out.data() + b * pixels;
        for (std::size_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(image[p]) * kScale;
    }
}

Trainer::Trainer(Vae& vae, const Dataset& data, TrainerOptions options)
    : vae_(vae), data_(data), options_(options) {
    const VaeConfig& config = vae.config();
    if (data.train.rows != static_cast<std::size_t>(config.image_rows) ||
        data.train.cols != static_cast<std::size_t>(config.image_cols)) {
        throw DataError(
            DataErrorKind::bad_shape, data.dir,
            fmt::format("the model takes {}x{} images but {} holds {}x{}", config.image_rows,
                        config.image_cols, data.name, data.train.rows, data.train.cols));
    }
    if (options.batch_size == 0 || options.batch_size > kMaxBatchSize) {
        throw ConfigError(
            fmt::format("batch size {} is not in 1..{}", options.batch_size, kMaxBatchSize));
    }
    if (options.binarize == Binarization::fixed) {
        throw ConfigError(
            "training binarizes its images none or dynamic; fixed is for evaluation sets");
    }
    train_count_ =
        options.limit == 0 ? data.train.count : std::min(options.limit, data.train.count);
    if (train_count_ == 0 || data.test.count == 0) {
        throw DataError(DataErrorKind::zero_dimension, data.dir,
                        "holds no images to train or test on");
    }
    data_digest_ = digest_of(data.train, train_count_, data.test);
    batch_.resize(options.batch_size * data.train.pixels_per_image());
}

void Trainer::distribute(Communicator& communicator) {
    communicator_ = communicator.size() > 1 ? &communicator : nullptr;
    vae_.set_gradient_reducer(communicator_ == nullptr
                                  ? std::function<void(std::span<float>)>()
                                  : [c = communicator_](std::span<float> g) { c->sum(g); });
}

std::size_t Trainer::local_batch_size() const {
    if (communicator_ == nullptr) return options_.batch_size;
    return share_of_batch(options_.batch_size, communicator_->rank(), communicator_->size()).count;
}

std::size_t Trainer::batches_per_epoch() const noexcept {
    return (train_count_ + options_.batch_size - 1) / options_.batch_size;
}

void Trainer::set_progress(const TrainerProgress& progress) {
    if (progress.epochs_done < 0 || progress.next_batch > batches_per_epoch() ||
        progress.images > train_count_) {
        throw ConfigError(fmt::format(
            "training progress (epoch {}, batch {}, {} images) does not fit {} images in batches "
            "of {}",
            progress.epochs_done + 1, progress.next_batch, progress.images, train_count_,
            options_.batch_size));
    }
    progress_ = progress;
}

std::optional<EpochMetrics> Trainer::run_epoch(
    const std::function<void(const StepReport&)>& on_step, const std::function<bool()>& stop) {
    using Clock = std::chrono::steady_clock;
    const int epoch = progress_.epochs_done + 1;
    const std::size_t batches = batches_per_epoch();
    step_seconds_.reserve(step_seconds_.size() + batches);
    {
        BatchPipeline pipeline(
            epoch_order(train_count_, options_.seed, epoch), options_.batch_size,
            data_.train.pixels_per_image(),
            [this, epoch](std::span<const std::uint32_t> indices, std::span<float> out) {
                gather_batch(data_.train, indices, out);
                if (options_.binarize == Binarization::dynamic) {
                    const std::size_t pixels = data_.train.pixels_per_image();
                    for (std::size_t b = 0; b < indices.size(); ++b) {
                        binarize_images(out.subspan(b * pixels, pixels), pixels, options_.seed,
                                        static_cast<std::uint64_t>(epoch), indices[b]);
                    }
                }
            },
            progress_.next_batch);
        const double stall_before = progress_.stall_seconds;
        const std::size_t pixels = data_.train.pixels_per_image();
        while (const auto batch = pipeline.next()) {
            const auto start = Clock::now();
            const std::size_t n = batch->indices.size();
            LossTerms loss;
            bool stop_agreed = false;
            if (communicator_ == nullptr) {
                loss = vae_.train_step(batch->images);
            } else {
                // This process's share of the batch; the gradients are summed inside the step.
                const BatchRange mine =
                    share_of_batch(n, communicator_->rank(), communicator_->size());
                loss =
                    vae_.train_step(batch->images.subspan(mine.first * pixels, mine.count * pixels),
                                    {mine.first, n});
                // One small sum agrees on the batch's loss and on stopping: every process then
                // reports the same loss and leaves the epoch after the same step. A NaN on one
                // process makes the sum NaN on all, so all of them stop at the same step.
                const auto local = static_cast<double>(mine.count);
                std::array<double, 3> agreed = {loss.reconstruction * local, loss.kl * local,
                                                stop && stop() ? 1.0 : 0.0};
                communicator_->sum(agreed);
                loss.reconstruction = agreed[0] / static_cast<double>(n);
                loss.kl = agreed[1] / static_cast<double>(n);
                loss.loss = loss.reconstruction + loss.kl;
                stop_agreed = agreed[2] > 0.0;
            }
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            if (!std::isfinite(loss.loss)) {
                throw NumericalError(fmt::format(
                    "the loss is {} at epoch {}, batch {} of {} (reconstruction {}, KL {})",
                    loss.loss, epoch, batch->index + 1, batches, loss.reconstruction, loss.kl));
            }
            // The loss was computed before the update; the update itself can still diverge.
            if (!vae_.state_is_finite()) {
                throw NumericalError(
                    fmt::format("the parameters are not finite after the update of epoch {}, "
                                "batch {} of {}",
                                epoch, batch->index + 1, batches));
            }
            step_seconds_.push_back(seconds);
            add_scaled(progress_.sums, loss, static_cast<double>(n));
            progress_.images += n;
            progress_.train_seconds += seconds;
            progress_.next_batch = batch->index + 1;
            progress_.stall_seconds = stall_before + pipeline.stall_seconds();
            if (on_step) on_step({epoch, progress_.next_batch, batches, n, loss, seconds});
            if (progress_.next_batch < batches &&
                (communicator_ != nullptr ? stop_agreed : stop && stop())) {
                return std::nullopt;
            }
        }
    }

    EpochMetrics metrics;
    metrics.epoch = epoch;
    metrics.train = progress_.sums;
    divide(metrics.train, static_cast<double>(progress_.images));
    metrics.images = progress_.images;
    metrics.train_seconds = progress_.train_seconds;
    metrics.stall_seconds = progress_.stall_seconds;
    metrics.binarize = options_.binarize;
    metrics.images_per_second = metrics.train_seconds > 0.0
                                    ? static_cast<double>(metrics.images) / metrics.train_seconds
                                    : 0.0;
    if (!vae_.state_is_finite()) {
        throw NumericalError(fmt::format("the parameters are not finite after epoch {}", epoch));
    }
    metrics.test = evaluate(data_.test);
    if (!std::isfinite(metrics.test.loss)) {
        throw NumericalError(
            fmt::format("the test loss is {} after epoch {} (reconstruction {}, "
                        "KL {})",
                        metrics.test.loss, epoch, metrics.test.reconstruction, metrics.test.kl));
    }
    progress_ = TrainerProgress{epoch, 0, {}, 0, 0.0, 0.0};
    return metrics;
}

LossTerms Trainer::evaluate(const ImageSet& set) {
    LossTerms total;
    const std::size_t pixels = set.pixels_per_image();
    std::vector<std::uint32_t> indices(options_.batch_size);
    for (std::size_t first = 0; first < set.count; first += options_.batch_size) {
        const std::size_t n = std::min(options_.batch_size, set.count - first);
        // Data parallel: this process's share of the batch, with that share's noise.
        const BatchRange mine = communicator_ == nullptr ? BatchRange{0, n}
                                                         : share_of_batch(n, communicator_->rank(),
                                                                          communicator_->size());
        std::iota(indices.begin(), indices.begin() + static_cast<std::ptrdiff_t>(mine.count),
                  static_cast<std::uint32_t>(first + mine.first));
        const std::span<float> batch(batch_.data(), mine.count * pixels);
        gather_batch(set, std::span<const std::uint32_t>(indices.data(), mine.count), batch);
        if (options_.binarize != Binarization::none) {
            binarize_fixed(batch, pixels, first + mine.first);
        }
        const LossTerms loss =
            communicator_ == nullptr ? vae_.evaluate(batch) : vae_.evaluate(batch, {mine.first, n});
        add_scaled(total, loss, static_cast<double>(mine.count));
    }
    if (communicator_ != nullptr) {
        std::array<double, 3> sums = {total.loss, total.reconstruction, total.kl};
        communicator_->sum(sums);
        total = {sums[0], sums[1], sums[2]};
    }
    divide(total, static_cast<double>(set.count));
    return total;
}

}  // namespace vaednn
