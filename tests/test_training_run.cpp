// TrainingRun: a run started, stopped, saved and resumed bit for bit; observers, stop tokens,
// model checkpoints from a loop of one's own, and faults injected as hooks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "golden_fixture.hpp"
#include "test_support.hpp"
#include "vaednn/atomic_file.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/error.hpp"
#include "vaednn/training_run.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;

// `count` 28x28 images, each a bright bar whose place depends on the image and on `salt`.
ImageSet bars(std::size_t count, std::size_t salt = 0) {
    ImageSet set{count, 28, 28, std::vector<std::uint8_t>(count * 784),
                 std::vector<std::uint8_t>(count)};
    for (std::size_t i = 0; i < set.pixels.size(); ++i) {
        const std::size_t image = i / 784, y = (i % 784) / 28, x = i % 28;
        const std::size_t row = 4 + (image * 7 + salt) % 20;
        set.pixels[i] = (y >= row && y < row + 4 && x > 3 && x < 24) ? 230 : 0;
    }
    for (std::size_t i = 0; i < count; ++i) set.labels[i] = static_cast<std::uint8_t>(i % 10);
    return set;
}

Dataset tiny_data() {
    return {"bars", "/nowhere/bars", bars(64), bars(16, 3)};
}

// 64 images in batches of 16: four steps an epoch.
TrainingSetup tiny_setup() {
    return {testing::small_test_config(), 5, {16, 11, 0}};
}

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

// Counts what it is told; requests a stop after step `stop_after` of its own count.
class Recorder : public TrainingObserver {
  public:
    explicit Recorder(std::stop_source* stop = nullptr, std::size_t stop_after = 0)
        : stop_(stop), stop_after_(stop_after) {}
    void on_step(const StepReport& step) override {
        steps.push_back(step);
        if (stop_ != nullptr && steps.size() == stop_after_) stop_->request_stop();
    }
    void on_epoch(const EpochMetrics& metrics) override { epochs.push_back(metrics); }

    std::vector<StepReport> steps;
    std::vector<EpochMetrics> epochs;

  private:
    std::stop_source* stop_;
    std::size_t stop_after_;
};

void expect_same_losses(const EpochMetrics& a, const EpochMetrics& b) {
    EXPECT_EQ(a.epoch, b.epoch);
    EXPECT_EQ(a.images, b.images);
    // Bit for bit, not close: the same seed and threads.
    EXPECT_EQ(a.train.loss, b.train.loss) << "epoch " << a.epoch;
    EXPECT_EQ(a.train.kl, b.train.kl) << "epoch " << a.epoch;
    EXPECT_EQ(a.test.loss, b.test.loss) << "epoch " << a.epoch;
}

using TrainingRuns = testing::TempDirTest;

TEST_F(TrainingRuns, AnEpochReportsEveryStepThenItsMetrics) {
    TrainingRun run(tiny_data(), tiny_setup());
    EXPECT_EQ(run.batches_per_epoch(), 4u);
    Recorder recorder;
    const std::optional<EpochMetrics> metrics = run.run_epoch(&recorder);
    ASSERT_TRUE(metrics.has_value());
    EXPECT_EQ(metrics->epoch, 1);
    EXPECT_EQ(metrics->images, 64u);
    EXPECT_TRUE(std::isfinite(metrics->test.loss));
    ASSERT_EQ(recorder.steps.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(recorder.steps[i].epoch, 1);
        EXPECT_EQ(recorder.steps[i].batch, i + 1);
        EXPECT_EQ(recorder.steps[i].batches, 4u);
        EXPECT_EQ(recorder.steps[i].images, 16u);
        EXPECT_TRUE(std::isfinite(recorder.steps[i].loss.loss));
    }
    ASSERT_EQ(recorder.epochs.size(), 1u);
    expect_same_losses(recorder.epochs[0], *metrics);
    ASSERT_EQ(run.history().size(), 1u);
    EXPECT_EQ(run.epochs_done(), 1);
    EXPECT_EQ(run.steps_run(), 4);
    EXPECT_EQ(run.model().optimizer_steps(), 4);

    // Without an observer or a stop token, too; the timing counts this object's work.
    ASSERT_TRUE(run.run_epoch().has_value());
    const TimingReport timing = run.timing(RuntimeInfo{}, 1);
    EXPECT_EQ(timing.images, 128u);
    EXPECT_EQ(timing.batch_size, 16u);
    EXPECT_EQ(timing.steps.steps, 7u);  // the first step is warm-up
    EXPECT_GT(timing.train_seconds, 0.0);
    EXPECT_EQ(timing.threads, 1);
}

TEST_F(TrainingRuns, StoppedMidEpochSavedAndResumedEqualsAnUninterruptedRun) {
    TrainingRun straight(tiny_data(), tiny_setup());
    ASSERT_TRUE(straight.run_epoch());
    ASSERT_TRUE(straight.run_epoch());

    TrainingRun first(tiny_data(), tiny_setup());
    std::stop_source stop;
    Recorder recorder(&stop, 3);
    EXPECT_FALSE(first.run_epoch(&recorder, stop.get_token()).has_value());
    EXPECT_EQ(recorder.steps.size(), 3u);
    EXPECT_TRUE(recorder.epochs.empty());
    EXPECT_EQ(first.progress().epochs_done, 0);
    EXPECT_EQ(first.progress().next_batch, 3u);
    const fs::path file = dir() / "checkpoint.safetensors";
    first.save_checkpoint(file);

    const Checkpoint checkpoint = read_checkpoint(file);
    EXPECT_EQ(checkpoint.info.contents, CheckpointContents::training);
    EXPECT_EQ(checkpoint.info.adam_step, 3);
    EXPECT_EQ(checkpoint.info.progress.next_batch, 3u);
    TrainingRun resumed = TrainingRun::resume(checkpoint, tiny_data());
    EXPECT_EQ(resumed.progress().next_batch, 3u);
    EXPECT_EQ(resumed.steps_run(), 0);
    Recorder rest;
    const std::optional<EpochMetrics> one = resumed.run_epoch(&rest);
    ASSERT_TRUE(one.has_value());
    ASSERT_EQ(rest.steps.size(), 1u);  // only the epoch's last batch was left
    EXPECT_EQ(rest.steps[0].batch, 4u);
    expect_same_losses(*one, straight.history()[0]);
    const std::optional<EpochMetrics> two = resumed.run_epoch();
    ASSERT_TRUE(two.has_value());
    expect_same_losses(*two, straight.history()[1]);
    // Only this object's share: the one step of epoch 1 and the four of epoch 2.
    EXPECT_EQ(resumed.timing(RuntimeInfo{}, 1).images, 80u);
}

TEST_F(TrainingRuns, DynamicBinarizationResumesBitForBit) {
    TrainingSetup setup = tiny_setup();
    setup.trainer.binarize = Binarization::dynamic;
    TrainingRun straight(tiny_data(), setup);
    ASSERT_TRUE(straight.run_epoch());
    ASSERT_TRUE(straight.run_epoch());
    // Binarised bars (230/255 -> mostly 1, sometimes 0) train differently from grey ones.
    TrainingRun grey(tiny_data(), tiny_setup());
    ASSERT_TRUE(grey.run_epoch());
    EXPECT_NE(grey.history()[0].train.loss, straight.history()[0].train.loss);
    EXPECT_EQ(grey.history()[0].binarize, Binarization::none);
    EXPECT_EQ(straight.history()[1].binarize, Binarization::dynamic);  // each row says which

    TrainingRun first(tiny_data(), setup);
    std::stop_source stop;
    Recorder recorder(&stop, 2);
    EXPECT_FALSE(first.run_epoch(&recorder, stop.get_token()).has_value());
    const fs::path file = dir() / "checkpoint.safetensors";
    first.save_checkpoint(file);
    const Checkpoint checkpoint = read_checkpoint(file);
    EXPECT_EQ(checkpoint.info.trainer.binarize, Binarization::dynamic);
    TrainingRun resumed = TrainingRun::resume(checkpoint, tiny_data());
    EXPECT_EQ(resumed.trainer().options().binarize, Binarization::dynamic);
    const std::optional<EpochMetrics> one = resumed.run_epoch();
    ASSERT_TRUE(one.has_value());
    expect_same_losses(*one, straight.history()[0]);
    const std::optional<EpochMetrics> two = resumed.run_epoch();
    ASSERT_TRUE(two.has_value());
    expect_same_losses(*two, straight.history()[1]);
    EXPECT_EQ(resumed.timing(RuntimeInfo{}, 1).binarize, "dynamic");
}

TEST_F(TrainingRuns, AStopOnTheEpochsLastStepFinishesTheEpoch) {
    TrainingRun run(tiny_data(), tiny_setup());
    std::stop_source stop;
    Recorder recorder(&stop, 4);
    EXPECT_TRUE(run.run_epoch(&recorder, stop.get_token()).has_value());
    // Once requested, the next epoch stops after its first step.
    EXPECT_FALSE(run.run_epoch(&recorder, stop.get_token()).has_value());
    EXPECT_EQ(run.progress().next_batch, 1u);
    EXPECT_EQ(run.history().size(), 1u);
}

TEST_F(TrainingRuns, AMovedRunTrainsOn) {
    TrainingRun run(tiny_data(), tiny_setup());
    ASSERT_TRUE(run.run_epoch());
    TrainingRun moved = std::move(run);
    ASSERT_TRUE(moved.run_epoch());
    EXPECT_EQ(moved.epochs_done(), 2);
    EXPECT_EQ(moved.data().train.count, 64u);
}

TEST_F(TrainingRuns, ResumeRefusesOtherDataAndModelCheckpoints) {
    TrainingRun run(tiny_data(), tiny_setup());
    ASSERT_TRUE(run.run_epoch());
    const fs::path file = dir() / "run.safetensors";
    run.save_checkpoint(file);
    const Checkpoint checkpoint = read_checkpoint(file);

    const auto refusal = [&](const Checkpoint& c, Dataset data) -> std::string {
        try {
            (void)TrainingRun::resume(c, std::move(data));
            return "accepted";
        } catch (const CheckpointError& e) {
            return e.what();
        }
    };
    Dataset fewer = tiny_data();
    fewer.train = bars(48);
    std::string message = refusal(checkpoint, fewer);
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("was trained on 64 images of bars but /nowhere/bars now offers 48"),
              std::string::npos)
        << message;

    Dataset other = tiny_data();
    other.train = bars(64, 1);  // as many images, other pixels
    message = refusal(checkpoint, other);
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("was trained on other data than /nowhere/bars holds now"),
              std::string::npos)
        << message;

    const fs::path model_file = dir() / "model.safetensors";
    save_checkpoint(model_file, run.model());
    message = refusal(read_checkpoint(model_file), tiny_data());
    EXPECT_EQ(message, model_file.string() +
                           ": holds a model only, without the data and position of a training "
                           "run: it can be sampled from but not resumed");
    EXPECT_THROW(TrainingRun::check_resumable(read_checkpoint(model_file)), CheckpointError);
    EXPECT_NO_THROW(TrainingRun::check_resumable(checkpoint));
    EXPECT_EQ(refusal(checkpoint, tiny_data()), "accepted");
}

// A program with its own loop saves the model; restore_model gives it back whole.
TEST_F(TrainingRuns, AModelCheckpointFromALoopOfOnesOwn) {
    Vae vae(testing::small_test_config(), 21);
    const Dataset data = tiny_data();
    std::vector<float> batch(16 * 784);
    for (std::uint32_t step = 0; step < 3; ++step) {
        std::vector<std::uint32_t> indices(16);
        for (std::uint32_t i = 0; i < 16; ++i) indices[i] = (step * 16 + i) % 64;
        gather_batch(data.train, indices, batch);
        (void)vae.train_step(batch);
    }
    const fs::path file = dir() / "mine.safetensors";
    save_checkpoint(file, vae);

    const Checkpoint checkpoint = read_checkpoint(file);
    EXPECT_EQ(checkpoint.info.contents, CheckpointContents::model);
    EXPECT_EQ(checkpoint.info.adam_step, 3);
    EXPECT_EQ(checkpoint.info.model_seed, 21u);
    EXPECT_EQ(checkpoint.info.noise.training, vae.noise_state().training);
    EXPECT_TRUE(checkpoint.info.dataset.empty());
    EXPECT_TRUE(checkpoint.info.data_dir.empty());
    EXPECT_FALSE(checkpoint.file.metadata.contains("dataset"));
    Vae restored = restore_model(checkpoint);
    testing::expect_tensors_near(restored.parameters(), vae.parameters(), 0.0, "parameters");
    testing::expect_tensors_near(restored.adam_moments(), vae.adam_moments(), 0.0, "moments");
    EXPECT_EQ(restored.optimizer_steps(), 3);
    // Both go on identically.
    EXPECT_EQ(restored.train_step(batch).loss, vae.train_step(batch).loss);

    // A diverged model is not saved, and the previous file stays.
    const std::string before = read_bytes(file);
    std::vector<Tensor> params = vae.parameters();
    params.front().values[0] = std::numeric_limits<float>::infinity();
    vae.set_parameters(params);
    EXPECT_THROW(save_checkpoint(file, vae), NumericalError);
    EXPECT_EQ(read_bytes(file), before);
}

TEST_F(TrainingRuns, AHookThatThrowsInsideTheCheckpointWriteLeavesThePreviousCheckpoint) {
    bool armed = false;
    std::vector<fs::path> temporaries;
    TrainingHooks hooks;
    hooks.checkpoint_write.before_rename = [&](const fs::path& temporary) {
        temporaries.push_back(temporary);
        if (armed) throw std::runtime_error("the power went out");
    };
    TrainingRun run(tiny_data(), tiny_setup(), hooks);
    ASSERT_TRUE(run.run_epoch());
    const fs::path file = dir() / "checkpoint.safetensors";
    run.save_checkpoint(file);
    ASSERT_EQ(temporaries.size(), 1u);
    EXPECT_EQ(temporaries[0].parent_path(), dir());
    EXPECT_TRUE(is_atomic_temporary(temporaries[0].filename().string())) << temporaries[0];
    const std::string before = read_bytes(file);

    ASSERT_TRUE(run.run_epoch());
    armed = true;
    EXPECT_THROW(run.save_checkpoint(file), std::runtime_error);
    ASSERT_EQ(temporaries.size(), 2u);
    EXPECT_EQ(read_bytes(file), before) << "the previous checkpoint changed";
    EXPECT_FALSE(fs::exists(temporaries[1])) << "the temporary was left behind";
    EXPECT_EQ(read_checkpoint(file).info.progress.epochs_done, 1);
}

// What a diverging run does to a model: one parameter becomes NaN.
void poison_one_parameter(Vae& model) {
    std::vector<Tensor> params = model.parameters();
    params.back().values[0] = std::numeric_limits<float>::quiet_NaN();
    model.set_parameters(params);
}

TEST_F(TrainingRuns, NanAfterAStepGivesANumericalErrorAndNoNewCheckpoint) {
    std::vector<std::int64_t> hooked;
    TrainingHooks hooks;
    hooks.after_step = [&](std::int64_t steps, Vae& model) {
        hooked.push_back(steps);
        if (steps != 6) return;
        poison_one_parameter(model);
    };
    TrainingRun run(tiny_data(), tiny_setup(), hooks);
    Recorder recorder;
    ASSERT_TRUE(run.run_epoch(&recorder));
    const fs::path file = dir() / "checkpoint.safetensors";
    run.save_checkpoint(file);
    const std::string before = read_bytes(file);

    try {
        (void)run.run_epoch(&recorder);
        FAIL() << "a NaN went unnoticed";
    } catch (const NumericalError& e) {
        EXPECT_NE(std::string(e.what()).find("the loss is nan at epoch 2, batch 3 of 4"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(hooked, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(recorder.steps.size(), 6u) << "the NaN step was reported";
    EXPECT_EQ(recorder.epochs.size(), 1u) << "the diverged epoch was reported";
    EXPECT_EQ(run.history().size(), 1u);
    EXPECT_THROW(run.save_checkpoint(file), NumericalError);
    EXPECT_EQ(read_bytes(file), before) << "the last good checkpoint changed";
}

// Poisoned after an epoch's last step: that step's loss was finite, so only the check after the
// update and before the test loss catches it, and the epoch is never reported.
TEST_F(TrainingRuns, NanAfterAnEpochsLastUpdateIsCaughtBeforeTheEpochIsReported) {
    TrainingHooks hooks;
    hooks.after_step = [](std::int64_t steps, Vae& model) {
        if (steps != 4) return;
        poison_one_parameter(model);
    };
    TrainingRun run(tiny_data(), tiny_setup(), hooks);
    Recorder recorder;
    try {
        (void)run.run_epoch(&recorder);
        FAIL() << "NaN parameters went unnoticed";
    } catch (const NumericalError& e) {
        EXPECT_NE(std::string(e.what()).find("the parameters are not finite after epoch 1"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(recorder.epochs.empty());
    EXPECT_TRUE(run.history().empty());
}

TEST_F(TrainingRuns, AFreshRunRefusesDataTheModelCannotTake) {
    Dataset wide = tiny_data();
    wide.train.cols = wide.test.cols = 32;
    EXPECT_THROW(TrainingRun(wide, tiny_setup()), DataError);
    TrainingSetup zero_batch = tiny_setup();
    zero_batch.trainer.batch_size = 0;
    EXPECT_THROW(TrainingRun(tiny_data(), zero_batch), ConfigError);
}

}  // namespace
}  // namespace vaednn
