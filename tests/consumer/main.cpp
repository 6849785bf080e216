// Uses the installed library as a user's program would, through its public headers only: reads a
// tiny IDX dataset, then trains a small model on synthetic images with TrainingRun (stopped after
// a few steps by its observer), saves a checkpoint and checks what read_checkpoint gives back.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stop_token>
#include <vaednn/checkpoint.hpp>
#include <vaednn/dataset.hpp>
#include <vaednn/error.hpp>
#include <vaednn/runtime.hpp>
#include <vaednn/training_run.hpp>
#include <vector>

namespace {

void write_idx(const std::filesystem::path& file, std::vector<unsigned char> dims_and_data) {
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(dims_and_data.data()),
               static_cast<std::streamsize>(dims_and_data.size()));
}

bool check(bool ok, const char* what) {
    if (!ok) std::printf("consumer: FAILED: %s\n", what);
    return ok;
}

bool reads_idx(const std::filesystem::path& dir) {
    write_idx(dir / "images", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40});
    write_idx(dir / "labels", {0, 0, 8, 1, 0, 0, 0, 2, 7, 3});

    const vaednn::ImageSet set = vaednn::load_image_set(dir / "images", dir / "labels");
    const vaednn::ImageSetSummary summary = vaednn::summarize(set);
    const vaednn::RuntimeInfo runtime = vaednn::runtime_info();
    std::printf("consumer: %zu images, mean %.4f, oneDNN %s (%s)\n", summary.count,
                summary.pixel_mean, runtime.onednn_version.c_str(), runtime.cpu_isa.c_str());

    bool ok = check(summary.count == 2 && set.labels[0] == 7 && set.image(1)[1] == 40 &&
                        summary.label_counts[3] == 1 && !runtime.onednn_version.empty(),
                    "the IDX files read back");
    try {
        (void)vaednn::read_idx(dir / "does-not-exist", 1);
        ok = check(false, "a missing IDX file was read");
    } catch (const vaednn::DataError& e) {
        ok = check(e.kind() == vaednn::DataErrorKind::missing_file, "a missing file's error") && ok;
    }
    return ok;
}

// `count` 28x28 images of a bright bar whose row depends on the image.
vaednn::ImageSet bars(std::size_t count) {
    vaednn::ImageSet set;
    set.count = count;
    set.rows = 28;
    set.cols = 28;
    set.pixels.resize(count * 28 * 28);
    set.labels.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t row = 2 + (i * 5) % 22;
        for (std::size_t y = row; y < row + 4; ++y) {
            for (std::size_t x = 4; x < 24; ++x) set.pixels[i * 784 + y * 28 + x] = 255;
        }
        set.labels[i] = static_cast<unsigned char>(i % 10);
    }
    return set;
}

// Stops the run after `steps` training steps.
class StopAfter : public vaednn::TrainingObserver {
  public:
    StopAfter(std::stop_source& stop, std::size_t steps) : stop_(stop), steps_(steps) {}
    void on_step(const vaednn::StepReport& step) override {
        std::printf("consumer: epoch %d, batch %zu of %zu, loss %.2f\n", step.epoch, step.batch,
                    step.batches, step.loss.loss);
        if (++seen_ == steps_) stop_.request_stop();
    }

  private:
    std::stop_source& stop_;
    std::size_t steps_;
    std::size_t seen_ = 0;
};

bool equal_tensors(const std::vector<vaednn::Tensor>& a, const std::vector<vaednn::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].shape != b[i].shape || a[i].values != b[i].values) {
            return false;
        }
    }
    return true;
}

bool trains_and_checkpoints(const std::filesystem::path& dir) {
    vaednn::TrainingSetup setup;
    setup.config.hidden = 8;
    setup.config.latent = 2;
    setup.config.decoder_channels = {2, 4, 2};
    setup.config.reference_batch = 8;
    setup.model_seed = 3;
    setup.trainer.batch_size = 8;  // 64 images: 8 steps an epoch
    vaednn::TrainingRun run(vaednn::Dataset{"bars", dir, bars(64), bars(16)}, setup);

    std::stop_source stop;
    StopAfter observer(stop, 3);
    const std::optional<vaednn::EpochMetrics> metrics = run.run_epoch(&observer, stop.get_token());
    bool ok = check(!metrics.has_value(), "the stop token left the epoch");
    ok =
        check(run.progress().next_batch == 3 && run.steps_run() == 3, "three steps were run") && ok;

    const std::filesystem::path file = dir / "consumer.safetensors";
    run.save_checkpoint(file);
    const vaednn::Checkpoint checkpoint = vaednn::read_checkpoint(file);
    ok = check(checkpoint.info.adam_step == 3, "the checkpoint's Adam step is the steps trained") &&
         ok;
    ok = check(checkpoint.info.progress.next_batch == 3 && checkpoint.info.train_count == 64,
               "the checkpoint's position") &&
         ok;
    ok = check(equal_tensors(vaednn::restore_model(checkpoint).parameters(),
                             run.model().parameters()),
               "the checkpoint's parameters equal the model's") &&
         ok;

    // A model checkpoint, as a loop of one's own would write it.
    const std::filesystem::path model_file = dir / "consumer-model.safetensors";
    vaednn::save_checkpoint(model_file, run.model());
    const vaednn::Checkpoint model = vaednn::read_checkpoint(model_file);
    ok =
        check(model.info.contents == vaednn::CheckpointContents::model && model.info.adam_step == 3,
              "the model checkpoint") &&
        ok;
    try {
        (void)vaednn::TrainingRun::resume(model, vaednn::Dataset{"bars", dir, bars(64), bars(16)});
        ok = check(false, "a model checkpoint was resumed");
    } catch (const vaednn::CheckpointError& e) {
        std::printf("consumer: %s\n", e.what());
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    bool ok = false;
    try {
        ok = reads_idx(dir);
        ok = trains_and_checkpoints(dir) && ok;
    } catch (const std::exception& e) {
        std::printf("consumer: %s\n", e.what());
        ok = false;
    }
    std::printf("consumer: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
