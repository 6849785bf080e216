// The JSON report of an evaluation read back, every value of it untrusted, and the reports of a
// run's pieces combined into the report of one run over all their images.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "model/mean_and_error.hpp"
#include "test_support.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/safetensors.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;
using EvaluationReports = testing::TempDirTest;

// Images first .. first + count - 1 of one run, with values that differ image by image.
EvaluationReport piece(std::size_t first, std::size_t count) {
    EvaluationReport report;
    report.checkpoint = "run/checkpoint.safetensors";
    report.dataset = "mnist";
    report.data_dir = "data/mnist";
    report.split = "test";
    report.binarize = "fixed";
    report.seed = 7;
    report.threads = 2;
    report.first_image = first;
    LogLikelihoodResult& r = report.result;
    r.images = count;
    r.samples = 5000;
    for (std::size_t i = first; i < first + count; ++i) {
        r.per_image_log_likelihood.push_back(-90.0 - 0.37 * static_cast<double>(i % 11) +
                                             1e-9 * static_cast<double>(i));
        r.per_image_negative_elbo.push_back(96.0 + 0.21 * static_cast<double>(i % 7));
    }
    detail::summarize_per_image(r);
    r.reconstruction = 70.0 + static_cast<double>(first);
    r.kl = 20.0;
    r.seconds = 1.5;
    return report;
}

void write_plain(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

TEST_F(EvaluationReports, WrittenThenReadBackUnchanged) {
    const EvaluationReport written = piece(30, 20);
    write_evaluation_json(dir() / "a.json", written);
    const EvaluationReport read = read_evaluation_json(dir() / "a.json");
    EXPECT_EQ(read.checkpoint, written.checkpoint);
    EXPECT_EQ(read.split, "test");
    EXPECT_EQ(read.binarize, "fixed");
    EXPECT_EQ(read.seed, 7u);
    EXPECT_EQ(read.first_image, 30u);
    EXPECT_EQ(read.result.images, 20u);
    EXPECT_EQ(read.result.samples, 5000u);
    EXPECT_EQ(read.result.reconstruction, written.result.reconstruction);
    // Every double round-trips to the last bit.
    EXPECT_EQ(read.result.per_image_log_likelihood, written.result.per_image_log_likelihood);
    EXPECT_EQ(read.result.per_image_negative_elbo, written.result.per_image_negative_elbo);
}

TEST_F(EvaluationReports, PiecesInAnyOrderCombineIntoTheWholeRun) {
    const EvaluationReport whole = piece(0, 25);
    const EvaluationReport combined =
        combine_evaluations({piece(10, 15), piece(0, 4), piece(4, 6)});
    EXPECT_EQ(combined.first_image, 0u);
    EXPECT_EQ(combined.result.images, 25u);
    EXPECT_EQ(combined.result.per_image_log_likelihood, whole.result.per_image_log_likelihood);
    // The same values summed in the same order: the whole run's means and errors exactly.
    EXPECT_EQ(combined.result.log_likelihood, whole.result.log_likelihood);
    EXPECT_EQ(combined.result.log_likelihood_standard_error,
              whole.result.log_likelihood_standard_error);
    EXPECT_EQ(combined.result.negative_elbo, whole.result.negative_elbo);
    EXPECT_EQ(combined.result.negative_elbo_standard_error,
              whole.result.negative_elbo_standard_error);
    EXPECT_DOUBLE_EQ(combined.result.reconstruction, (4 * 70.0 + 6 * 74.0 + 15 * 80.0) / 25);
    EXPECT_DOUBLE_EQ(combined.result.seconds, 4.5);
}

TEST_F(EvaluationReports, PiecesThatDoNotFitAreRefusedSayingWhy) {
    const auto refused = [](std::vector<EvaluationReport> pieces, const std::string& why) {
        try {
            combine_evaluations(std::move(pieces));
            ADD_FAILURE() << "combined: " << why;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
        }
    };
    refused({piece(0, 10), piece(12, 5)}, "leave out images 10..11");
    refused({piece(0, 10), piece(8, 5)}, "both hold images 8..9");
    refused({piece(0, 10), piece(0, 10)}, "both hold images 0..9");
    EvaluationReport other_k = piece(10, 5);
    other_k.result.samples = 100;
    refused({piece(0, 10), other_k}, "differ in k: 5000");
    EvaluationReport other_seed = piece(10, 5);
    other_seed.seed = 8;
    refused({piece(0, 10), other_seed}, "differ in seed");
    EvaluationReport grey = piece(10, 5);
    grey.binarize = "none";
    refused({piece(0, 10), grey}, "differ in binarization");
    EvaluationReport other_model = piece(10, 5);
    other_model.checkpoint = "other/checkpoint.safetensors";
    refused({piece(0, 10), other_model}, "differ in checkpoint");
    EvaluationReport train = piece(10, 5);
    train.split = "train";
    refused({piece(0, 10), train}, "differ in split");
    refused({}, "no pieces");
    refused({piece(0, 10), piece(10, 0)}, "a piece of 0 images");
}

TEST_F(EvaluationReports, OneCheckpointIsTheSameBytesWhereverTheyLie) {
    // The fingerprint is zlib's CRC-32 of the file's bytes, as read_safetensors read them.
    const fs::path file = dir() / "checkpoint.safetensors";
    write_safetensors(file, {Tensor{"w", {2, 3}, {1, 2, 3, 4, 5, 6}}}, {{"note", "a model"}});
    const std::string bytes = testing::read_all(file);
    const SafetensorsFile evaluated = read_safetensors(file);
    const std::string fingerprint = checkpoint_fingerprint(evaluated);
    const auto* data = reinterpret_cast<const Bytef*>(bytes.data());
    EXPECT_EQ(fingerprint, fmt::format("{:08x}", crc32_z(0, data, bytes.size())));
    // One value changed: another fingerprint. (That it is of the bytes read through the one
    // descriptor, not of the path read again, is read_safetensors' structure, not tested here.)
    write_safetensors(file, {Tensor{"w", {2, 3}, {1, 2, 3, 4, 5, 7}}}, {{"note", "a model"}});
    EXPECT_NE(checkpoint_fingerprint(read_safetensors(file)), fingerprint);
    // A file that read_safetensors did not read has no fingerprint to give.
    EXPECT_THROW(checkpoint_fingerprint(SafetensorsFile{}), Error);

    // Two machines, two paths, one checkpoint: combined.
    EvaluationReport here = piece(0, 10), there = piece(10, 5);
    here.checkpoint_crc32 = there.checkpoint_crc32 = fingerprint;
    there.checkpoint = "/elsewhere/checkpoint.safetensors";
    EXPECT_EQ(combine_evaluations({here, there}).checkpoint_crc32, fingerprint);
    // One path, the checkpoint overwritten between the pieces: refused, naming the files.
    EvaluationReport later = piece(10, 5);
    later.checkpoint_crc32 = "0badf00d";
    here.source = "first.json";
    later.source = "second.json";
    try {
        combine_evaluations({here, later});
        ADD_FAILURE() << "combined two checkpoints";
    } catch (const ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("CRC-32"), std::string::npos) << message;
        EXPECT_NE(message.find("(first.json)"), std::string::npos) << message;
        EXPECT_NE(message.find("(second.json)"), std::string::npos) << message;
    }
    // The fingerprint is written and read back.
    write_evaluation_json(dir() / "a.json", here);
    const EvaluationReport read = read_evaluation_json(dir() / "a.json");
    EXPECT_EQ(read.checkpoint_crc32, fingerprint);
    EXPECT_EQ(read.source, (dir() / "a.json").string());
}

TEST_F(EvaluationReports, AReportFromBeforeFirstImageStartsAtZero) {
    write_evaluation_json(dir() / "a.json", piece(0, 3));
    std::string text = testing::read_all(dir() / "a.json");
    const auto at = text.find("  \"first_image\": 0,\n");
    ASSERT_NE(at, std::string::npos);
    text.erase(at, std::string("  \"first_image\": 0,\n").size());
    write_plain(dir() / "a.json", text);
    EXPECT_EQ(read_evaluation_json(dir() / "a.json").first_image, 0u);
}

// Each edit of a good report's text makes it something read_evaluation_json must refuse, with
// the file and the field named.
TEST_F(EvaluationReports, EveryValueIsChecked) {
    write_evaluation_json(dir() / "good.json", piece(0, 3));
    const std::string good = testing::read_all(dir() / "good.json");
    const auto edited = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        return text;
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {edited("\"k\": 5000", "\"k\": 0"), "field 'k'"},
        {edited("\"k\": 5000", "\"k\": \"5000\""), "field 'k'"},
        {edited("\"k\": 5000", "\"k\": 5000.5"), "field 'k'"},
        {edited("\"images\": 3", "\"images\": 4"), "field 'per_image_log_likelihood'"},
        {edited("\"images\": 3", "\"images\": -3"), "field 'images'"},
        {edited("\"images\": 3", "\"images\": 18446744073709551615"), "field 'images'"},
        {edited("\"seconds\": 1.5", "\"seconds\": 1e999"), "not JSON"},
        {edited("\"seconds\": 1.5", "\"seconds\": null"), "field 'seconds'"},
        {edited("\"split\": \"test\"", "\"split\": \"valid\""), "split 'valid'"},
        {edited("\"binarize\": \"fixed\"", "\"binarize\": \"dynamic\""), "binarize 'dynamic'"},
        {edited("\"checkpoint\": ", "\"checkpoint_\": "), "field 'checkpoint' is missing"},
        {edited("\"per_image_negative_elbo\": [", "\"per_image_negative_elbo\": [\"x\","),
         "field 'per_image_negative_elbo'"},
        {good.substr(0, good.size() / 2), "not JSON"},
        {"[1, 2, 3]", "not a JSON object"},
        {edited("\"dataset\": \"mnist\"", "\"dataset\": \"mn\\u001b]0;x\\u0007ist\""),
         "field 'dataset' holds control characters"},
        {edited("\"kl\": 20.0", "\"kl\": 1.7e308"), "field 'kl'"},
        {edited("\"per_image_log_likelihood\": [", "\"per_image_log_likelihood\": [-1e13,"),
         "field 'per_image_log_likelihood'"},
        {edited("\"seed\": 7", "\"seed\": 7, \"checkpoint_crc32\": \"xyz\""),
         "field 'checkpoint_crc32'"},
        {good + std::string(std::size_t{8} << 20, ' '), "larger than 8 MiB"},
        {edited("\"seed\": 7", "\"seed\": 7, \"seed\": 8"), "field 'seed' appears twice"},
        {std::string(100000, '[') + std::string(100000, ']'), "nested too deeply"},
    };
    for (const auto& [text, why] : cases) {
        write_plain(dir() / "bad.json", text);
        try {
            read_evaluation_json(dir() / "bad.json");
            ADD_FAILURE() << "read: " << text.substr(0, 200);
        } catch (const FileError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("bad.json: "), std::string::npos) << message;
            EXPECT_NE(message.find(why), std::string::npos) << message;
        }
    }
    EXPECT_THROW(read_evaluation_json(dir() / "missing.json"), DataError);
    EXPECT_THROW(read_evaluation_json(dir()), DataError);  // a folder, refused without reading
    // A FIFO without a writer: refused at once, never waited on.
    ASSERT_EQ(::mkfifo((dir() / "fifo.json").c_str(), 0600), 0);
    EXPECT_THROW(read_evaluation_json(dir() / "fifo.json"), DataError);
}

}  // namespace
}  // namespace vaednn
