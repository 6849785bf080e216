#include "vaednn/training_run.hpp"

#include <fmt/format.h>

#include <utility>

#include "vaednn/error.hpp"

namespace vaednn {

// On the heap, so that the trainer's references to the model and the data survive a move.
struct TrainingRun::Impl {
    Impl(Dataset d, Vae v, const TrainerOptions& options, TrainingHooks h)
        : data(std::move(d)), vae(std::move(v)), trainer(vae, data, options), hooks(std::move(h)) {}

    Dataset data;
    Vae vae;
    Trainer trainer;  // refers to vae and data above: declared after them
    TrainingHooks hooks;
    std::vector<EpochMetrics> history;
    std::int64_t steps_run = 0;
    // This object's share of the loader stall and the images (a resumed epoch's earlier part
    // belongs to the process that trained it).
    double stall_seconds = 0.0;
    std::size_t images = 0;
};

TrainingRun::TrainingRun(Dataset data, const TrainingSetup& setup, TrainingHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(data), Vae(setup.config, setup.model_seed),
                                   setup.trainer, std::move(hooks))) {}

TrainingRun::TrainingRun(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainingRun::~TrainingRun() = default;
TrainingRun::TrainingRun(TrainingRun&&) noexcept = default;
TrainingRun& TrainingRun::operator=(TrainingRun&&) noexcept = default;

void TrainingRun::check_resumable(const Checkpoint& checkpoint) {
    if (checkpoint.info.contents == CheckpointContents::model) {
        throw CheckpointError(checkpoint.file.file,
                              "holds a model only, without the data and position of a training "
                              "run: it can be sampled from but not resumed");
    }
}

TrainingRun TrainingRun::resume(const Checkpoint& checkpoint, Dataset data, TrainingHooks hooks) {
    check_resumable(checkpoint);
    const CheckpointInfo& info = checkpoint.info;
    const std::filesystem::path& file = checkpoint.file.file;
    auto impl = std::make_unique<Impl>(std::move(data), restore_model(checkpoint), info.trainer,
                                       std::move(hooks));
    const Trainer& trainer = impl->trainer;
    if (trainer.train_count() != info.train_count) {
        throw CheckpointError(
            file,
            fmt::format("was trained on {} images of {} but {} now offers {}", info.train_count,
                        info.dataset, impl->data.dir.string(), trainer.train_count()));
    }
    // Same count is not same data: the digest tells a re-ordered, re-binarised or other set.
    // An older checkpoint records none; whether to warn of that is the caller's business.
    if (!info.data_digest.empty() && info.data_digest != trainer.data_digest()) {
        throw CheckpointError(
            file, fmt::format("was trained on other data than {} holds now (digest {}, now {}); "
                              "pass --data with the folder it was trained on",
                              impl->data.dir.string(), info.data_digest, trainer.data_digest()));
    }
    try {
        impl->trainer.set_progress(info.progress);
    } catch (const ConfigError& e) {
        throw CheckpointError(file, e.what());
    }
    return TrainingRun(std::move(impl));
}

std::optional<EpochMetrics> TrainingRun::run_epoch(TrainingObserver* observer,
                                                   std::stop_token stop) {
    Impl& r = *impl_;
    const double stall_before = r.trainer.progress().stall_seconds;
    const std::size_t images_before = r.trainer.progress().images;
    // The epoch's share of this object's stall and images, whichever way it ends.
    const auto account = [&](double stall_after, std::size_t images_after) {
        r.stall_seconds += stall_after - stall_before;
        r.images += images_after - images_before;
    };
    const auto on_step = [&](const StepReport& step) {
        ++r.steps_run;
        if (r.hooks.after_step) r.hooks.after_step(r.steps_run, r.vae);
        if (observer != nullptr) observer->on_step(step);
    };
    std::function<bool()> stopped;
    if (stop.stop_possible()) stopped = [&stop] { return stop.stop_requested(); };

    std::optional<EpochMetrics> metrics;
    try {
        metrics = r.trainer.run_epoch(on_step, stopped);
    } catch (...) {
        account(r.trainer.progress().stall_seconds, r.trainer.progress().images);
        throw;
    }
    if (!metrics) {
        account(r.trainer.progress().stall_seconds, r.trainer.progress().images);
        return std::nullopt;
    }
    account(metrics->stall_seconds, metrics->images);
    r.history.push_back(*metrics);
    if (observer != nullptr) observer->on_epoch(*metrics);
    return metrics;
}

void TrainingRun::distribute(Communicator& communicator) {
    impl_->trainer.distribute(communicator);
}

void TrainingRun::save_checkpoint(const std::filesystem::path& file) const {
    vaednn::save_checkpoint(file, impl_->vae, impl_->trainer, impl_->data,
                            impl_->hooks.checkpoint_write);
}

TimingReport TrainingRun::timing(const RuntimeInfo& runtime, int threads) const {
    const Impl& r = *impl_;
    TimingReport report;
    const std::size_t batch = r.trainer.options().batch_size;
    report.nodes = r.vae.node_timings(r.trainer.local_batch_size());  // this process's graph
    report.steps = step_statistics(r.trainer.step_seconds());
    report.batch_size = batch;
    for (const double s : r.trainer.step_seconds()) report.train_seconds += s;
    report.stall_seconds = r.stall_seconds;
    report.images = r.images;
    report.runtime = runtime;
    report.threads = threads;
    report.binarize = to_string(r.trainer.options().binarize);
    return report;
}

const std::vector<EpochMetrics>& TrainingRun::history() const noexcept {
    return impl_->history;
}
void TrainingRun::set_history(std::vector<EpochMetrics> epochs) {
    impl_->history = std::move(epochs);
}
Vae& TrainingRun::model() noexcept {
    return impl_->vae;
}
const Vae& TrainingRun::model() const noexcept {
    return impl_->vae;
}
const Dataset& TrainingRun::data() const noexcept {
    return impl_->data;
}
const Trainer& TrainingRun::trainer() const noexcept {
    return impl_->trainer;
}
const TrainerProgress& TrainingRun::progress() const noexcept {
    return impl_->trainer.progress();
}
int TrainingRun::epochs_done() const noexcept {
    return impl_->trainer.epochs_done();
}
std::size_t TrainingRun::batches_per_epoch() const noexcept {
    return impl_->trainer.batches_per_epoch();
}
std::int64_t TrainingRun::steps_run() const noexcept {
    return impl_->steps_run;
}

}  // namespace vaednn
