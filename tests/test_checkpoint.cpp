// Checkpoints: a round trip restores everything a resume needs; bad files get one clear error.
#include <gtest/gtest.h>

#include <fstream>

#include "golden_fixture.hpp"
#include "test_support.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

ImageSet blobs(std::size_t count) {
    ImageSet set{count, 28, 28, std::vector<std::uint8_t>(count * 784),
                 std::vector<std::uint8_t>(count)};
    for (std::size_t i = 0; i < set.pixels.size(); ++i) {
        set.pixels[i] = static_cast<std::uint8_t>(((i / 784) * 37 + i % 784) % 3 == 0 ? 200 : 0);
    }
    return set;
}

VaeConfig small_config() {
    return testing::small_test_config();
}

std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    std::string bytes(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

class Checkpoints : public testing::TempDirTest {
  protected:
    void SetUp() override {
        TempDirTest::SetUp();
        data_ = Dataset{"blobs", dir(), blobs(100), blobs(20)};
        vae_ = std::make_unique<Vae>(small_config(), 9);
        trainer_ = std::make_unique<Trainer>(*vae_, data_, TrainerOptions{16, 3, 0});
        int steps = 0;
        trainer_->run_epoch({}, [&] { return ++steps == 4; });  // stop mid-epoch
        file_ = dir() / "checkpoint.safetensors";
        save_checkpoint(file_, *vae_, *trainer_, data_);
    }

    // Expects read_checkpoint to fail with a message containing `fragment`, leaving the file as
    // it was.
    void expect_rejected(const std::filesystem::path& file, const std::string& fragment) {
        const std::string before = read_bytes(file);
        try {
            (void)read_checkpoint(file);
            FAIL() << "accepted a bad checkpoint; expected: " << fragment;
        } catch (const CheckpointError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
        }
        EXPECT_EQ(read_bytes(file), before) << "reading must not change the file";
    }

    // Rewrites the checkpoint with `edit` applied to its tensors and metadata.
    std::filesystem::path rewritten(const std::string& name,
                                    const std::function<void(SafetensorsFile&)>& edit) {
        SafetensorsFile f = read_safetensors(file_);
        edit(f);
        const auto out = dir() / name;
        write_safetensors(out, f.tensors, f.metadata);
        return out;
    }

    Dataset data_;
    std::unique_ptr<Vae> vae_;
    std::unique_ptr<Trainer> trainer_;
    std::filesystem::path file_;
};

TEST_F(Checkpoints, RoundTripRestoresModelOptimizerNoiseAndProgress) {
    const Checkpoint c = read_checkpoint(file_);
    EXPECT_EQ(c.info.progress.epochs_done, 0);
    EXPECT_EQ(c.info.progress.next_batch, 4u);
    EXPECT_EQ(c.info.progress.images, 64u);
    EXPECT_EQ(c.info.progress.sums.loss, trainer_->progress().sums.loss) << "exact, not close";
    EXPECT_EQ(c.info.trainer.seed, 3u);
    EXPECT_EQ(c.info.trainer.batch_size, 16u);
    EXPECT_EQ(c.info.dataset, "blobs");
    EXPECT_EQ(c.info.train_count, 100u);

    Vae restored = restore_model(c);
    EXPECT_EQ(restored.optimizer_steps(), 4);
    EXPECT_EQ(restored.seed(), 9u);
    EXPECT_EQ(restored.noise_state().training, vae_->noise_state().training);
    testing::expect_tensors_near(restored.parameters(), vae_->parameters(), 0.0, "parameters");
    testing::expect_tensors_near(restored.adam_moments(), vae_->adam_moments(), 0.0, "moments");

    // Both continue identically.
    Trainer resumed(restored, data_, c.info.trainer);
    resumed.set_progress(c.info.progress);
    const EpochMetrics a = *trainer_->run_epoch();
    const EpochMetrics b = *resumed.run_epoch();
    EXPECT_EQ(a.train.loss, b.train.loss);
    EXPECT_EQ(a.test.loss, b.test.loss);
}

TEST_F(Checkpoints, TruncatedFile) {
    const std::string bytes = read_bytes(file_);
    const auto cut = dir() / "cut.safetensors";
    std::ofstream(cut, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    expect_rejected(cut, "the tensors cover");
    const auto tiny = dir() / "tiny.safetensors";
    std::ofstream(tiny, std::ios::binary).write(bytes.data(), 5);
    expect_rejected(tiny, "too short");
}

TEST_F(Checkpoints, CorruptHeader) {
    std::string bytes = read_bytes(file_);
    bytes[8] = '#';  // the header's opening brace
    const auto bad = dir() / "bad.safetensors";
    std::ofstream(bad, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    expect_rejected(bad, "not valid JSON");
}

TEST_F(Checkpoints, HugeHeaderLength) {
    std::string bytes = read_bytes(file_);
    bytes[6] = '\x7f';  // a header length in the petabytes
    const auto bad = dir() / "bad.safetensors";
    std::ofstream(bad, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    expect_rejected(bad, "header length");
}

TEST_F(Checkpoints, MissingTensor) {
    expect_rejected(rewritten("a.safetensors",
                              [](SafetensorsFile& f) {
                                  std::erase_if(f.tensors, [](const Tensor& t) {
                                      return t.name == "adam.v.decoder.fc.bias";
                                  });
                              }),
                    "tensor 'adam.v.decoder.fc.bias' is missing");
}

TEST_F(Checkpoints, MismatchedShape) {
    expect_rejected(rewritten("b.safetensors",
                              [](SafetensorsFile& f) {
                                  for (Tensor& t : f.tensors) {
                                      if (t.name == "decoder.deconv2.weight") {
                                          t.shape = {8, 4, 9};
                                      }
                                  }
                              }),
                    "tensor 'decoder.deconv2.weight' has shape [8, 4, 9]; the configuration needs "
                    "[8, 4, 3, 3]");
}

TEST_F(Checkpoints, ConfigurationThatDoesNotMatchTheTensors) {
    expect_rejected(
        rewritten("c.safetensors",
                  [](SafetensorsFile& f) {
                      auto& config = f.metadata["config"];
                      config.replace(config.find("\"hidden\":16"), 11, "\"hidden\":32");
                  }),
        "tensor 'encoder.lstm.weight_ih_l0' has shape [64, 28]; the configuration needs [128, 28]");
}

TEST_F(Checkpoints, UnknownTensor) {
    expect_rejected(rewritten("d.safetensors",
                              [](SafetensorsFile& f) {
                                  f.tensors.push_back({"decoder.extra", {2}, {1.0f, 2.0f}});
                              }),
                    "tensor 'decoder.extra' is not part of this model");
}

TEST_F(Checkpoints, NotACheckpoint) {
    expect_rejected(
        rewritten("e.safetensors", [](SafetensorsFile& f) { f.metadata.erase("format"); }),
        "not a vaednn checkpoint");
    expect_rejected(
        rewritten("f.safetensors", [](SafetensorsFile& f) { f.metadata["format_version"] = "99"; }),
        "format version '99' is not supported");
    expect_rejected(
        rewritten("g.safetensors",
                  [](SafetensorsFile& f) { f.metadata["state"] = "{\"adam_step\": 1}"; }),
        "metadata is incomplete");
    expect_rejected(dir() / "missing.safetensors", "cannot open");
}

TEST_F(Checkpoints, SaveReplacesAtomically) {
    // A failed save (the folder is gone) throws and leaves no temporary file behind.
    EXPECT_THROW(save_checkpoint(dir() / "no-such-dir" / "x.safetensors", *vae_, *trainer_, data_),
                 CheckpointError);
    save_checkpoint(file_, *vae_, *trainer_, data_);  // over an existing file
    EXPECT_FALSE(std::filesystem::exists(file_.string() + ".tmp"));
    EXPECT_NO_THROW(read_checkpoint(file_));
}

}  // namespace
}  // namespace vaednn
