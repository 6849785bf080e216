// Every input kept in tests/fuzz_regressions/ (found by scripts/fuzz.sh, or written by hand to
// the same end) goes through the parsers as the fuzzers feed them: each must give a result or the
// parser's own error, and nothing else.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>

#include "../fuzz/checkpoint_input.hpp"
#include "test_support.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/idx.hpp"
#include "vaednn/safetensors.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& kind) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(VAEDNN_TEST_FUZZ_DIR) / kind)) {
        if (entry.is_regular_file() && entry.path().filename() != ".gitkeep")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    std::string bytes(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

class FuzzRegressions : public testing::TempDirTest {};

TEST_F(FuzzRegressions, IdxInputsGiveAResultOrADataError) {
    const auto files = inputs("idx");
    ASSERT_FALSE(files.empty());
    for (const fs::path& input : files) {
        // As fuzz_idx reads them: the first byte picks the rank, the rest is the file.
        const std::string bytes = bytes_of(input);
        if (bytes.empty()) continue;
        const std::size_t rank = 1 + static_cast<unsigned char>(bytes[0]) % 4;
        for (const char* name : {"input.idx", "input.idx.gz"}) {
            const fs::path file = dir() / name;
            std::ofstream(file, std::ios::binary)
                .write(bytes.data() + 1, static_cast<std::streamsize>(bytes.size() - 1));
            try {
                const IdxArray array = read_idx(file, rank, {std::size_t{64} << 20});
                std::size_t product = 1;
                for (std::size_t d : array.dims) product *= d;
                EXPECT_EQ(product, array.bytes.size()) << input;
            } catch (const DataError& e) {
                EXPECT_FALSE(std::string(e.what()).empty()) << input;
            }
        }
    }
}

TEST_F(FuzzRegressions, SafetensorsInputsGiveAResultOrACheckpointError) {
    const auto files = inputs("safetensors");
    ASSERT_FALSE(files.empty());
    for (const fs::path& input : files) {
        try {
            const SafetensorsFile parsed = read_safetensors(input);
            std::size_t bytes = 0;
            for (const Tensor& t : parsed.tensors) bytes += t.values.size() * sizeof(float);
            EXPECT_LE(bytes, fs::file_size(input)) << input;
        } catch (const CheckpointError& e) {
            EXPECT_FALSE(std::string(e.what()).empty()) << input;
            // Names and values are quoted in short excerpts, however long the input.
            EXPECT_LE(std::string_view(e.what()).size(), input.string().size() + 1024) << input;
        }
    }
}

TEST_F(FuzzRegressions, CheckpointMetadataInputsGiveInfoInRangeOrAnError) {
    const auto files = inputs("checkpoint");
    ASSERT_FALSE(files.empty());
    for (const fs::path& input : files) {
        // As fuzz_checkpoint reads them.
        const std::map<std::string, std::string> metadata =
            fuzzing::checkpoint_metadata_from(bytes_of(input));
        try {
            const CheckpointInfo info = checkpoint_info("fuzz.safetensors", metadata);
            EXPECT_NO_THROW(info.config.validate()) << input;
            EXPECT_GE(info.trainer.batch_size, 1u) << input;
            EXPECT_LE(info.trainer.batch_size, kMaxBatchSize) << input;
            EXPECT_GE(info.adam_step, 0) << input;
            EXPECT_GE(info.progress.epochs_done, 0) << input;
        } catch (const Error& e) {
            EXPECT_LE(std::string_view(e.what()).size(), 1024u) << input;
        }
    }
}

TEST_F(FuzzRegressions, EvaluationReportInputsGiveAWholeReportOrAnError) {
    const auto files = inputs("evaluation");
    ASSERT_FALSE(files.empty());
    std::size_t parsed = 0;
    for (const fs::path& input : files) {
        try {
            const EvaluationReport report = parse_evaluation_json(bytes_of(input), input);
            EXPECT_GE(report.result.images, 1u) << input;
            EXPECT_EQ(report.result.per_image_log_likelihood.size(), report.result.images) << input;
            EXPECT_EQ(report.result.per_image_negative_elbo.size(), report.result.images) << input;
            ++parsed;
        } catch (const Error& e) {
            EXPECT_LE(std::string_view(e.what()).size(), 1024u) << input;
        }
    }
    EXPECT_GE(parsed, 1u);  // small_report.json is a good report
}

}  // namespace
}  // namespace vaednn
