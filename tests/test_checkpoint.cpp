// Checkpoints: a round trip restores everything a resume needs; bad files get one clear error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "golden_fixture.hpp"
#include "test_support.hpp"
#include "vaednn/atomic_file.hpp"
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

void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file made by hand: the 8-byte little-endian length, `header` as it is, `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data = {}) {
    std::string bytes(8, '\0');
    std::uint64_t length = header.size();
    for (char& b : bytes) {
        b = static_cast<char>(length & 0xFF);
        length >>= 8;
    }
    return bytes + header + data;
}

// A JSON value nested `levels` deep.
std::string nested(std::size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
}

// A JSON string of `length` times `c`.
std::string json_string(std::size_t length, char c) {
    std::string text(length + 2, c);
    text.front() = text.back() = '"';
    return text;
}

// The message of the CheckpointError that reading `file` gives ("accepted" when none).
std::string rejection(const std::filesystem::path& file) {
    try {
        (void)read_checkpoint(file);
        return "accepted";
    } catch (const CheckpointError& e) {
        return e.what();
    }
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

    // The checkpoint with `key` of the JSON object in metadata field `field` set to `raw`, JSON
    // text written as it is (so it may be a number no double holds, or not JSON at all).
    std::filesystem::path with_value(const std::string& name, const std::string& field,
                                     const std::string& key, const std::string& raw) {
        return rewritten(name, [&](SafetensorsFile& f) {
            nlohmann::json object = nlohmann::json::parse(f.metadata.at(field));
            object[key] = "@placeholder@";
            std::string text = object.dump();
            text.replace(text.find("\"@placeholder@\""), 15, raw);
            f.metadata[field] = text;
        });
    }

    // The checkpoint with its header text edited by `edit`, the data as it was.
    std::filesystem::path with_header(const std::string& name,
                                      const std::function<void(std::string&)>& edit) {
        const std::string bytes = read_bytes(file_);
        std::uint64_t length = 0;
        for (std::size_t i = 8; i-- > 0;) {
            length = (length << 8) | static_cast<unsigned char>(bytes[i]);
        }
        std::string header = bytes.substr(8, length);
        edit(header);
        const auto out = dir() / name;
        write_bytes(out, safetensors_bytes(header, bytes.substr(8 + length)));
        return out;
    }

    // Expects read_checkpoint to throw a CheckpointError whose message names `field` and, past
    // the file's name, is one short sentence (under 300 characters).
    void expect_field_rejected(const std::filesystem::path& file, const std::string& field) {
        const std::string message = rejection(file);
        EXPECT_NE(message.find(field), std::string::npos) << message.substr(0, 500);
        EXPECT_EQ(message.rfind(file.string(), 0), 0u) << message.substr(0, 500);
        EXPECT_LT(message.size(), file.string().size() + 300) << message.substr(0, 500);
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
        "metadata 'state' has no field 'model_seed'");
    expect_rejected(dir() / "missing.safetensors", "cannot open");
}

TEST_F(Checkpoints, SaveReplacesAtomically) {
    // A failed save (the folder is gone) throws and leaves no temporary file behind.
    EXPECT_THROW(save_checkpoint(dir() / "no-such-dir" / "x.safetensors", *vae_, *trainer_, data_),
                 IoError);
    save_checkpoint(file_, *vae_, *trainer_, data_);  // over an existing file
    for (const auto& entry : std::filesystem::directory_iterator(dir())) {
        EXPECT_FALSE(is_atomic_temporary(entry.path().filename().string())) << entry.path();
    }
    EXPECT_NO_THROW(read_checkpoint(file_));
}

// --- Two kinds: training checkpoints (as every older version wrote them) and model ones. ---

TEST_F(Checkpoints, ATrainingCheckpointIsWrittenAsOlderVersionsWroteIt) {
    const SafetensorsFile f = read_safetensors(file_);
    EXPECT_FALSE(f.metadata.contains("contents"));  // older readers see nothing new
    EXPECT_EQ(read_checkpoint(file_).info.contents, CheckpointContents::training);
    // Saying so explicitly is the same.
    const auto explicit_file = rewritten(
        "explicit.safetensors", [](SafetensorsFile& g) { g.metadata["contents"] = "training"; });
    EXPECT_EQ(read_checkpoint(explicit_file).info.contents, CheckpointContents::training);
    // A training checkpoint still needs every training field.
    expect_rejected(rewritten("no-dataset.safetensors",
                              [](SafetensorsFile& g) { g.metadata.erase("dataset"); }),
                    "metadata field 'dataset' is missing");
}

TEST_F(Checkpoints, AModelCheckpointHoldsTheModelAlone) {
    const auto file = dir() / "model.safetensors";
    save_checkpoint(file, *vae_);
    const SafetensorsFile f = read_safetensors(file);
    EXPECT_EQ(f.metadata.at("contents"), "model");
    EXPECT_FALSE(f.metadata.contains("dataset"));
    EXPECT_EQ(f.metadata.at("state").find("batch_size"), std::string::npos);
    const Checkpoint c = read_checkpoint(file);
    EXPECT_EQ(c.info.contents, CheckpointContents::model);
    EXPECT_EQ(c.info.adam_step, vae_->optimizer_steps());
    EXPECT_EQ(c.info.model_seed, 9u);
    EXPECT_EQ(c.info.noise.samples, vae_->noise_state().samples);
    EXPECT_EQ(c.info.progress.epochs_done, 0);
    EXPECT_EQ(c.info.train_count, 0u);
    const Vae restored = restore_model(c);
    testing::expect_tensors_near(restored.parameters(), vae_->parameters(), 0.0, "parameters");
    testing::expect_tensors_near(restored.adam_moments(), vae_->adam_moments(), 0.0, "moments");

    // The model's own fields are still required and checked, and so are the tensors.
    expect_rejected(rewritten("m1.safetensors",
                              [](SafetensorsFile& g) {
                                  g.metadata["state"] = R"({"adam_step": 1})";
                                  g.metadata["contents"] = "model";
                              }),
                    "metadata 'state' has no field 'model_seed'");
    const auto no_moment = dir() / "m2.safetensors";
    {
        SafetensorsFile g = read_safetensors(file);
        std::erase_if(g.tensors,
                      [](const Tensor& t) { return t.name == "adam.m.decoder.fc.bias"; });
        write_safetensors(no_moment, g.tensors, g.metadata);
    }
    expect_rejected(no_moment, "tensor 'adam.m.decoder.fc.bias' is missing");
}

TEST_F(Checkpoints, UnknownContentsIsRefused) {
    expect_field_rejected(rewritten("contents.safetensors",
                                    [](SafetensorsFile& f) {
                                        f.metadata["contents"] = std::string(5000, 'x') + "\x1b";
                                    }),
                          "metadata 'contents' is 'xxx");
    expect_rejected(rewritten("bogus.safetensors",
                              [](SafetensorsFile& f) { f.metadata["contents"] = "bogus"; }),
                    "metadata 'contents' is 'bogus', neither 'training' nor 'model'");
}

TEST_F(Checkpoints, AHookThatThrowsBeforeTheRenameLeavesThePreviousFile) {
    const std::string before = read_bytes(file_);
    trainer_->run_epoch();
    AtomicWriteHooks hooks;
    std::filesystem::path temporary;
    hooks.before_rename = [&](const std::filesystem::path& t) {
        temporary = t;
        // The temporary is whole: every byte written and synced before the hook runs.
        EXPECT_EQ(read_checkpoint(t).info.adam_step, vae_->optimizer_steps());
        throw IoError(file_, "cannot write: injected");
    };
    EXPECT_THROW(save_checkpoint(file_, *vae_, *trainer_, data_, hooks), IoError);
    EXPECT_THROW(save_checkpoint(file_, *vae_, hooks), IoError);
    EXPECT_EQ(read_bytes(file_), before);
    EXPECT_FALSE(temporary.empty());
    for (const auto& entry : std::filesystem::directory_iterator(dir())) {
        EXPECT_FALSE(is_atomic_temporary(entry.path().filename().string())) << entry.path();
    }
}

// --- Reading a file: only regular files, bounded nesting, messages that quote in short. ---

TEST_F(Checkpoints, FifoIsRefusedWithoutWaitingForAWriter) {
    const auto fifo = dir() / "fifo.safetensors";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    auto reading = std::async(std::launch::async, [&] { return rejection(fifo); });
    if (reading.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        ADD_FAILURE() << "reading a FIFO did not return within 60 s";
        // The reader waits in open() for a writer: be one, so that the test can end.
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) ::close(fd);
    }
    const std::string message = reading.get();
    EXPECT_NE(message.find("is not a regular file"), std::string::npos) << message;
}

TEST_F(Checkpoints, DirectoryOrDeviceIsRefused) {
    for (const std::filesystem::path& file : {dir(), std::filesystem::path("/dev/zero")}) {
        const std::string message = rejection(file);
        EXPECT_EQ(message, file.string() + ": is not a regular file");
    }
}

TEST_F(Checkpoints, HeaderNestedTenThousandLevelsGivesAShortError) {
    // Before: a 20 KB "sentence" quoting the whole shape.
    expect_field_rejected(with_header("deep.safetensors",
                                      [](std::string& header) {
                                          const auto at = header.find("\"shape\":[") + 9;
                                          header.insert(at, nested(10000) + ",");
                                      }),
                          "the header nests deeper than 128 levels");
}

TEST_F(Checkpoints, HeaderNestedHundredThousandLevelsIsRefusedBeforeParsing) {
    // Before: a stack overflow while the error message was built (dump() recurses per level).
    expect_field_rejected(with_header("deeper.safetensors",
                                      [](std::string& header) {
                                          const auto at = header.find("\"shape\":[") + 9;
                                          header.insert(at, nested(100000) + ",");
                                      }),
                          "the header nests deeper than 128 levels");
}

TEST_F(Checkpoints, HeaderOfManySmallObjectsIsReadInLinearTime) {
    // Before: nlohmann's callback parser rescanned the enclosing array each time an object ended,
    // so 300,000 "{}" took minutes (a 16 MiB header: hours).
    auto file = std::make_shared<std::filesystem::path>(dir() / "objects.safetensors");
    std::string header = R"({"a":[)";
    for (int i = 0; i < 300000; ++i) header += "{},";
    header.back() = ']';
    write_bytes(*file, safetensors_bytes(header + "}"));
    auto done = std::make_shared<std::promise<std::string>>();
    std::future<std::string> message = done->get_future();
    // Detached: a reader that never returns must not hold the test (or the suite) up.
    std::thread([file, done] {
        try {
            (void)read_safetensors(*file);
            done->set_value("accepted");
        } catch (const CheckpointError& e) {
            done->set_value(e.what());
        }
    }).detach();
    ASSERT_EQ(message.wait_for(std::chrono::seconds(60)), std::future_status::ready)
        << "reading a 900 KB header did not return within 60 s";
    EXPECT_NE(message.get().find("tensor 'a' lacks dtype"), std::string::npos);
}

TEST_F(Checkpoints, HeaderOfMoreValuesThanTheLimitIsRefused) {
    // A parsed value costs up to ~110 bytes however short its text: 1,100,000 of them (2.2 MB of
    // "0,") would take ~120 MB.
    const auto file = dir() / "values.safetensors";
    std::string header = R"({"a":[)";
    for (int i = 0; i < 1100000; ++i) header += "0,";
    header.back() = ']';
    write_bytes(file, safetensors_bytes(header + "}"));
    expect_field_rejected(file, "the header holds more than 1048576 values");
}

TEST_F(Checkpoints, ErrorsQuoteLongOrControlFilledNamesAndValuesInShort) {
    const std::string name(std::size_t{1} << 20, 'n');
    std::string ones;
    for (int i = 0; i < 100000; ++i) ones += "1,";
    const std::string tensor = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
    std::string utf8_e_acute;
    for (int i = 0; i < 1000; ++i) utf8_e_acute += "\xc3\xa9";
    const struct {
        std::string header;
        const char* fragment;
    } cases[] = {
        {R"({")" + name + R"(":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}})", "only F32"},
        {R"({"t":{"dtype":")" + name + R"(","shape":[1],"data_offsets":[0,4]}})", "only F32"},
        {R"({"t":{"dtype":"F32","shape":[)" + ones + R"(-1],"data_offsets":[0,4]}})",
         "not a non-negative integer"},
        {R"({"t":{"dtype":"F32","shape":[)" + ones + R"(1099511627777],"data_offsets":[0,4]}})",
         "is too large"},
        {R"({")" + name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", "do not match"},
        {R"({")" + name + R"(":{"shape":[1]}})", "lacks dtype"},
        {R"({")" + name + R"(":{"dtype":"F32","shape":"x","data_offsets":[0,4]}})",
         "shape is not an array"},
        {R"({")" + name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
         "data_offsets is not two"},
        {R"({"a":)" + tensor + R"(,")" + name +
             R"(":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
         "gap or overlap"},
        {R"({"__metadata__":{")" + name + R"(":1}})", "is not a string"},
        {R"({")" + name + R"(":)" + tensor + R"(,")" + name + R"(":)" + tensor + "}", "twice"},
        {R"({"\u001b]0;owned\u0007\u001b[2J\r":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}})",
         "only F32"},
        // Cut after 64 bytes, the excerpt must not end inside the two bytes of an "é".
        {R"({")" + std::string(63, 'a') + utf8_e_acute +
             R"(":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}})",
         "only F32"},
    };
    for (const auto& c : cases) {
        const auto file = dir() / "quoted.safetensors";
        write_bytes(file, safetensors_bytes(c.header, std::string(4, '\0')));
        try {
            (void)read_safetensors(file);
            ADD_FAILURE() << "accepted: " << c.header.substr(0, 200);
        } catch (const CheckpointError& e) {
            const std::string message = e.what();
            SCOPED_TRACE(message.substr(0, 300));
            EXPECT_NE(message.find(c.fragment), std::string::npos);
            EXPECT_LT(message.size(), file.string().size() + 300);
            EXPECT_TRUE(std::none_of(message.begin(), message.end(), [](char ch) {
                return static_cast<unsigned char>(ch) < 0x20;
            })) << "control characters reach the terminal";
            EXPECT_NO_THROW((void)nlohmann::json(message).dump()) << "not valid UTF-8";
        }
    }
}

TEST_F(Checkpoints, KeyGivenTwiceInOneObjectIsRefused) {
    // nlohmann keeps the last of two equal keys silently; another reader may keep the first.
    const auto file = dir() / "twice.safetensors";
    for (const std::string header :
         {R"({"__metadata__":{"format":"x","format":"vaednn-checkpoint"}})",
          R"({"t":{"dtype":"F32","shape":[2],"shape":[1],"data_offsets":[0,4]}})"}) {
        write_bytes(file, safetensors_bytes(header, std::string(4, '\0')));
        try {
            (void)read_safetensors(file);
            ADD_FAILURE() << "accepted: " << header;
        } catch (const CheckpointError& e) {
            EXPECT_NE(std::string(e.what()).find("twice in one object"), std::string::npos)
                << e.what();
        }
    }
}

TEST_F(Checkpoints, EmptyTensorsMayShareAnOffsetWhateverTheirOrder) {
    // As safetensors orders them: by (begin, end). Before, by begin alone, so that whether this
    // file was accepted hung on std::sort's order of ties.
    const auto file = dir() / "empty.safetensors";
    write_bytes(file,
                safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                  R"("b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                                  R"("c":{"dtype":"F32","shape":[2,0],"data_offsets":[4,4]}})",
                                  std::string(4, '\0')));
    const SafetensorsFile parsed = read_safetensors(file);
    ASSERT_EQ(parsed.tensors.size(), 3u);
    EXPECT_EQ(parsed.at("a").values.size(), 1u);
    EXPECT_TRUE(parsed.at("b").values.empty());
    EXPECT_EQ(parsed.at("c").shape, (std::vector<std::int64_t>{2, 0}));
}

TEST_F(Checkpoints, OffsetsNearTwoToThe64AreRefused) {
    // Guards against wrap-around in end - begin and in the coverage sum.
    const auto file = dir() / "offsets.safetensors";
    for (const std::string offsets :
         {"[18446744073709551612,18446744073709551615]", "[18446744073709551615,3]",
          "[18446744073709551612,0]", "[4,18446744073709551615]",
          "[18446744073709551615,18446744073709551619]"}) {
        write_bytes(file, safetensors_bytes(
                              R"({"t":{"dtype":"F32","shape":[1],"data_offsets":)" + offsets + "}}",
                              std::string(4, '\0')));
        EXPECT_THROW((void)read_safetensors(file), CheckpointError) << offsets;
    }
}

// --- Checkpoint metadata read from a file: every field typed, ranged and named when wrong. ---

TEST_F(Checkpoints, MetadataOutOfRangeOrMistypedIsRefusedNamingTheField) {
    const struct {
        const char* field;  // the metadata field holding a JSON object
        const char* key;    // the key within it
        std::string raw;    // the JSON text put there
        const char* named;  // what the message must name
    } cases[] = {
        // Before: accepted, and a resume allocated batch_size * 784 floats (a heap overflow).
        {"state", "batch_size", "1152921504606846976", "'batch_size'"},
        {"state", "batch_size", "0", "'batch_size'"},
        {"state", "batch_size", "-16", "'batch_size'"},
        {"state", "batch_size", "16.0", "'batch_size'"},
        {"state", "batch_size", "\"16\"", "'batch_size'"},
        {"state", "adam_step", "-1", "'adam_step'"},
        {"state", "adam_step", "1e3", "'adam_step'"},
        {"state", "epochs_done", "1099511627776", "'epochs_done'"},
        {"state", "epochs_done", "-1", "'epochs_done'"},
        {"state", "next_batch", "2.5", "'next_batch'"},
        {"state", "next_batch", "-4", "'next_batch'"},
        {"state", "limit", "-100", "'limit'"},
        {"state", "epoch_images", "1152921504606846976", "'epoch_images'"},
        {"state", "model_seed", "18446744073709551616", "'model_seed'"},  // 2^64
        {"state", "data_seed", "340282366920938463463374607431768211456", "'data_seed'"},
        {"state", "noise_training", "-1", "'noise_training'"},
        {"state", "noise_samples", "1.5", "'noise_samples'"},
        {"state", "epoch_train_seconds", "-1", "'epoch_train_seconds'"},
        {"state", "epoch_stall_seconds", "\"NaN\"", "'epoch_stall_seconds'"},
        {"state", "epoch_stall_seconds", "1e300", "'epoch_stall_seconds'"},
        {"state", "threads", "-4", "'threads'"},
        {"config", "learning_rate", "NaN", "'config'"},    // not JSON
        {"config", "learning_rate", "1e400", "'config'"},  // no double holds it: not JSON either
        {"config", "learning_rate", "1e30", "'learning_rate'"},
        {"config", "learning_rate", "-1", "'learning_rate'"},
        {"config", "learning_rate", "0", "'learning_rate'"},
        {"config", "learning_rate", "\"NaN\"", "'learning_rate'"},
        {"config", "learning_rate", "\"1e30\"", "'learning_rate'"},
        {"config", "learning_rate", "\"-1\"", "'learning_rate'"},
        {"config", "beta1", "1", "'beta1'"},
        {"config", "epsilon", "0", "'epsilon'"},
        {"config", "hidden", "-16", "'hidden'"},
        {"config", "hidden", "16.5", "'hidden'"},
        {"config", "latent", "1152921504606846976", "'latent'"},
        {"config", "image_rows", "1099511627776", "'image_rows'"},
        {"config", "reference_batch", "18446744073709551615", "'reference_batch'"},
        {"config", "decoder_channels", "[4, -8, 4]", "decoder_channels"},
        {"dataset", "dir", json_string(8000, 'd'), "'dir'"},
        {"dataset", "name", json_string(1000, 'n'), "'name'"},
        {"dataset", "name", "\"mnist\\u001b[2J\"", "'name'"},  // a terminal escape
        // A field of ours is a few hundred bytes: megabytes are refused before they are parsed.
        {"dataset", "dir", json_string(100000, 'd'), "'dataset' is 100"},
        {"dataset", "train_count", "-1", "'train_count'"},
        {"dataset", "train_count", "18446744073709551616", "'train_count'"},
        // Before: parsed, then quoted in part; nlohmann recurses once per level when it prints.
        {"state", "model_seed", nested(100000), "'state'"},
        {"config", "hidden", nested(10000), "'config'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.field) + "." + c.key + " = " + c.raw.substr(0, 60));
        expect_field_rejected(with_value("bad.safetensors", c.field, c.key, c.raw), c.named);
    }
}

// likelihood_from_string throws ConfigError; read_checkpoint promises CheckpointError.
TEST_F(Checkpoints, UnknownLikelihoodIsACheckpointError) {
    expect_field_rejected(with_value("l.safetensors", "config", "likelihood", "\"poisson\""),
                          "likelihood");
}

}  // namespace
}  // namespace vaednn
