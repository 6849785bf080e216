// Trains a Vae on a Dataset: epochs of shuffled mini-batches, then the test set's loss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vaednn/binarize.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

class Communicator;

// The largest batch a trainer takes (vae_train's --batch-size and checkpoints are held to it).
inline constexpr std::size_t kMaxBatchSize = 65536;

struct TrainerOptions {
    std::size_t batch_size = 128;
    std::uint64_t seed = 1;  // the data order; the model's noise has its own seed
    std::size_t limit = 0;   // train on the first `limit` images only (0: all)
    // dynamic: each epoch trains on a fresh Bernoulli draw of every image, a pure function of
    // (seed, epoch, image index); the test set is then binarised once (binarize_fixed).
    Binarization binarize = Binarization::none;
};

struct EpochMetrics {
    int epoch = 0;               // counts from 1
    LossTerms train;             // mean over the epoch's images, before each step's update
    LossTerms test;              // the whole test set after the epoch
    std::size_t images = 0;      // trained on this epoch
    double train_seconds = 0.0;  // the training steps alone
    double stall_seconds = 0.0;  // the training thread waiting for data
    double images_per_second = 0.0;
    // The targets the losses were measured on: none (grey levels) or dynamic (each epoch's own
    // Bernoulli draw of the training images; the test set binarised once).
    Binarization binarize = Binarization::none;
};

// Where training stands, mid-epoch included: with the model's state, what a checkpoint holds.
struct TrainerProgress {
    int epochs_done = 0;         // complete epochs
    std::size_t next_batch = 0;  // in epoch epochs_done + 1
    LossTerms sums;              // that epoch's per-image loss sums so far
    std::size_t images = 0;      // that epoch's images so far
    double train_seconds = 0.0;  // that epoch's step time so far
    double stall_seconds = 0.0;  // that epoch's loader stall so far
};

// One training step, as it is reported while an epoch runs.
struct StepReport {
    int epoch = 0;              // counts from 1
    std::size_t batch = 0;      // batches done in this epoch, 1..batches
    std::size_t batches = 0;    // in an epoch
    std::size_t images = 0;     // in this batch
    LossTerms loss;             // the batch's, before its update
    double step_seconds = 0.0;  // the step's wall time
};

// The order of `count` images in epoch `epoch` (from 1) under `seed`: a Fisher-Yates shuffle from
// a counter-based generator, the same on every machine and for every thread count.
VAEDNN_EXPORT std::vector<std::uint32_t> epoch_order(std::size_t count, std::uint64_t seed,
                                                     int epoch);

// Pixels of `set`'s images `indices`, scaled to [0, 1], into `out` (indices.size() x pixels).
VAEDNN_EXPORT void gather_batch(const ImageSet& set, std::span<const std::uint32_t> indices,
                                std::span<float> out);

// The images of a batch of `total` that process `rank` of `ranks` takes in data-parallel training:
// [first, first + count). Shares differ by at most one image (the first ranks take the extra ones);
// a rank gets none when the batch has fewer images than there are ranks.
struct BatchRange {
    std::size_t first = 0;
    std::size_t count = 0;
};
VAEDNN_EXPORT BatchRange share_of_batch(std::size_t total, int rank, int ranks);

class VAEDNN_EXPORT Trainer {
  public:
    // Every batch holds `batch_size` images but the epoch's last, which holds the rest (it gets a
    // graph of its own; nothing is dropped). Throws ConfigError for unusable options.
    Trainer(Vae& vae, const Dataset& data, TrainerOptions options);

    // Trains the rest of the current epoch, then measures the test loss. `on_step` runs after
    // every step whose loss and updated state are finite (progress() already counts the step);
    // when `stop()` then returns true and the epoch has batches left, the epoch is left
    // unfinished (progress() says where) and nothing is returned. Throws NumericalError, before
    // the step or the epoch is reported, when a loss (training or test) or the model's state
    // after an update is not finite.
    std::optional<EpochMetrics> run_epoch(
        const std::function<void(const StepReport&)>& on_step = {},
        const std::function<bool()>& stop = {});
    // The mean loss over a whole split (the model's noise stream supplies eps).
    LossTerms evaluate(const ImageSet& set);

    // Data parallel: from now on every process of `communicator` takes its share of each batch
    // (training and test), the gradients are summed across them before every Adam step, and the
    // losses and the stop decision are agreed, so that every process runs the same steps and
    // holds the same model as one process with the same options would, up to the order of the
    // sums. Every process must call it and run the same epochs. The stop request is taken at
    // each step's agreement, before on_step. `communicator` must outlive the trainer.
    void distribute(Communicator& communicator);
    // The images of a full batch this process trains on: the batch size, or its share of it
    // when distributed (its training graph's batch size).
    std::size_t local_batch_size() const;

    int epochs_done() const noexcept { return progress_.epochs_done; }
    // A digest of the images this trainer trains and tests on (the first train_count() training
    // images and the whole test set, with their sizes): "crc32:" and 16 hex digits. A checkpoint
    // records it, so a resumed run can tell it is given other data.
    const std::string& data_digest() const noexcept { return data_digest_; }
    std::size_t train_count() const noexcept { return train_count_; }
    std::size_t batches_per_epoch() const noexcept;
    const TrainerOptions& options() const noexcept { return options_; }

    const TrainerProgress& progress() const noexcept { return progress_; }
    // Continues from `progress` (a checkpoint's); ConfigError when it cannot belong to this run.
    void set_progress(const TrainerProgress& progress);

    // Wall time of every training step this trainer ran, in order.
    const std::vector<double>& step_seconds() const noexcept { return step_seconds_; }

  private:
    Vae& vae_;
    const Dataset& data_;
    TrainerOptions options_;
    std::size_t train_count_;
    std::string data_digest_;
    TrainerProgress progress_;
    std::vector<float> batch_;
    std::vector<double> step_seconds_;
    Communicator* communicator_ = nullptr;  // null: this process alone
};

}  // namespace vaednn
