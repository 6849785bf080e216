// A training run: the model, the data and the trainer of one run, started fresh or resumed from a
// checkpoint, trained an epoch at a time. It is what vae_train drives, and what a program that
// links the library uses instead of writing the loop again: it reports every step and epoch to
// an observer, stops mid-epoch when asked (std::stop_token), refuses to go on from a diverged
// model (NumericalError), saves checkpoints that resume bit for bit, and assembles the timing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "vaednn/atomic_file.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/config.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/export.hpp"
#include "vaednn/model.hpp"
#include "vaednn/report.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {

// What a fresh run is made of besides its data.
struct TrainingSetup {
    VaeConfig config;
    std::uint64_t model_seed = 1;  // the initial weights and the model's noise
    TrainerOptions trainer;        // batch size, data-order seed, limit
};

// Told what a run does, on the thread that calls run_epoch. Override what you need; every hook
// does nothing by default. A hook may throw: the exception leaves run_epoch (the run then stands
// where progress() says, the step it reported included).
class VAEDNN_EXPORT TrainingObserver {
  public:
    virtual ~TrainingObserver() = default;
    // After every training step whose loss and updated parameters are finite.
    virtual void on_step(const StepReport& step) { (void)step; }
    // After an epoch's test loss, once the epoch is in history().
    virtual void on_epoch(const EpochMetrics& metrics) { (void)metrics; }
};

// Fault injection for tests; empty in normal use. The library reads no environment variable:
// whoever wants a fault passes it here.
struct TrainingHooks {
    // After step `steps` of this TrainingRun object (counting from 1, across epochs), after the
    // step's own checks and before it is reported; it may change the model (a NaN, as a diverging
    // run would have).
    std::function<void(std::int64_t steps, Vae& model)> after_step;
    // Every checkpoint this run writes (see AtomicWriteHooks: a hook that throws fails the write
    // and leaves the previous checkpoint as it was).
    AtomicWriteHooks checkpoint_write;
};

class VAEDNN_EXPORT TrainingRun {
  public:
    // A fresh run: a model initialised from setup.model_seed, trained on `data`. Throws
    // ConfigError for an unusable configuration or options, DataError for data the model cannot
    // take (another image size, no images).
    TrainingRun(Dataset data, const TrainingSetup& setup, TrainingHooks hooks = {});

    // Continues the run `checkpoint` holds, on `data`, which must be the data it was trained on:
    // the same number of training images and, where the checkpoint records one, the same digest.
    // Throws CheckpointError naming the checkpoint's file when it holds a model only, when the
    // data differs, or when its position does not fit the data.
    static TrainingRun resume(const Checkpoint& checkpoint, Dataset data, TrainingHooks hooks = {});
    // The first of resume's checks, for a caller that must know before it finds the data: throws
    // CheckpointError when `checkpoint` holds a model only (nothing to resume).
    static void check_resumable(const Checkpoint& checkpoint);

    ~TrainingRun();
    TrainingRun(TrainingRun&&) noexcept;
    TrainingRun& operator=(TrainingRun&&) noexcept;
    TrainingRun(const TrainingRun&) = delete;
    TrainingRun& operator=(const TrainingRun&) = delete;

    // Trains to the end of the current epoch, then measures the test set's loss, and returns the
    // epoch's metrics (also appended to history()). Once `stop` is requested, the epoch is left
    // after the step in flight, unless that step was its last: nothing is returned then and
    // progress() says where the run stands (save_checkpoint continues from there). Throws
    // NumericalError when a loss or the model diverges, before anything of that step or epoch
    // is reported: the last checkpoint saved stays the last good one.
    std::optional<EpochMetrics> run_epoch(TrainingObserver* observer = nullptr,
                                          std::stop_token stop = {});

    // Data parallel: the run's steps and test evaluations are shared by every process of
    // `communicator` from now on (Trainer::distribute): each process holds the model, takes its
    // share of every batch, and the gradients are summed before each Adam step, so all hold the
    // same model as one process would. Every process must call it, on a run made the same way
    // (the same data and options, or the same checkpoint), and run the same epochs; only one of
    // them need save checkpoints, which any process count resumes. `communicator` must outlive
    // the run.
    void distribute(Communicator& communicator);

    // A training checkpoint of where the run stands now (mid-epoch included), written atomically.
    // Throws NumericalError when the model is not finite, IoError when the file cannot be written.
    void save_checkpoint(const std::filesystem::path& file) const;

    // Where the step time of this object's epochs went: per-node times (when model() has
    // profiling on; a distributed run's are this process's, on its share of the batch), step
    // percentiles, loader stall and images of this process (of the whole run when distributed).
    TimingReport timing(const RuntimeInfo& runtime, int threads) const;

    // The epochs this object completed, in order, after those given to set_history.
    const std::vector<EpochMetrics>& history() const noexcept;
    // Replaces the history, e.g. with a resumed run's earlier epochs read from its metrics file.
    void set_history(std::vector<EpochMetrics> epochs);

    Vae& model() noexcept;
    const Vae& model() const noexcept;
    const Dataset& data() const noexcept;
    const Trainer& trainer() const noexcept;
    const TrainerProgress& progress() const noexcept;
    int epochs_done() const noexcept;
    std::size_t batches_per_epoch() const noexcept;
    // Training steps this object ran (a resumed run counts from 0).
    std::int64_t steps_run() const noexcept;

  private:
    struct VAEDNN_NO_EXPORT Impl;
    explicit TrainingRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vaednn
