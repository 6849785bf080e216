// What a run leaves on disk: written whole or not at all, never through a planted name, one run
// per folder, and a diverged model never saved.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "test_support.hpp"
#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"
#include "vaednn/model.hpp"
#include "vaednn/report.hpp"
#include "vaednn/run_folder.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;
using OutputFiles = testing::TempDirTest;

using testing::read_all;

void write_plain(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

std::size_t entries_in(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
    return n;
}

TEST_F(OutputFiles, AtomicWriteReplacesTheFileAndLeavesNothingElse) {
    const fs::path file = dir() / "metrics.csv";
    write_plain(file, "old");
    write_file_atomically(file, "new contents\n");
    EXPECT_EQ(read_all(file), "new contents\n");
    EXPECT_EQ(entries_in(dir()), 1u);
}

TEST_F(OutputFiles, AFifoOrFolderInTheWayIsNeverReplaced) {
    // As root, --json /dev/null would otherwise turn the device into a file.
    const fs::path fifo = dir() / "eval.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    try {
        write_file_atomically(fifo, "{}\n");
        ADD_FAILURE() << "wrote over a FIFO";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_fifo(fifo));
    fs::create_directory(dir() / "metrics.csv");
    EXPECT_THROW(write_file_atomically(dir() / "metrics.csv", "rows"), IoError);
    EXPECT_TRUE(fs::is_directory(dir() / "metrics.csv"));
    EXPECT_EQ(entries_in(dir()), 2u);  // no temporary left either
}

TEST_F(OutputFiles, AFailedWriteLeavesThePreviousFileAndNoTemporary) {
    const fs::path file = dir() / "checkpoint.safetensors";
    write_plain(file, "the last good one");
    EXPECT_THROW(write_file_atomically(file,
                                       [](FileSink& sink) {
                                           sink.write("half of a new");
                                           throw IoError("x", "the disk is full");
                                       }),
                 IoError);
    EXPECT_EQ(read_all(file), "the last good one");
    EXPECT_EQ(entries_in(dir()), 1u);
}

TEST_F(OutputFiles, APlantedSymlinkIsNeverWrittenThrough) {
    const fs::path victim = dir() / "victim";
    write_plain(victim, "precious");
    fs::create_directory(dir() / "out");
    // The names the writers used before: fixed, and opened with O_TRUNC.
    for (const char* name : {"checkpoint.safetensors.tmp", "metrics.csv.tmp", "timing.json.tmp"}) {
        fs::create_symlink(victim, dir() / "out" / name);
    }
    fs::create_symlink(victim, dir() / "out" / "metrics.csv");
    write_file_atomically(dir() / "out" / "checkpoint.safetensors", "a checkpoint");
    write_file_atomically(dir() / "out" / "metrics.csv", "rows");  // replaces the link itself
    EXPECT_EQ(read_all(victim), "precious");
    EXPECT_FALSE(fs::is_symlink(dir() / "out" / "metrics.csv"));
    EXPECT_EQ(read_all(dir() / "out" / "metrics.csv"), "rows");
}

TEST_F(OutputFiles, TemporaryNamesAreRecognised) {
    EXPECT_TRUE(is_atomic_temporary(".checkpoint.safetensors.tmp-a1B2c3"));
    EXPECT_FALSE(is_atomic_temporary("checkpoint.safetensors"));
    EXPECT_FALSE(is_atomic_temporary(".vaednn.lock"));
    EXPECT_FALSE(is_atomic_temporary("checkpoint.safetensors.tmp"));
}

EpochMetrics row(int epoch) {
    EpochMetrics m;
    m.epoch = epoch;
    m.train = {100.0 + epoch, 90.0, 10.0 + epoch};
    m.test = {101.0 + epoch, 91.0, 10.0};
    m.images_per_second = 1000.0;
    m.train_seconds = 1.5;
    return m;
}

TEST_F(OutputFiles, MetricsRoundTripAndATornLastRowIsLeftOut) {
    const fs::path csv = dir() / "metrics.csv";
    std::vector<EpochMetrics> rows = {row(1), row(2), row(3)};
    rows[2].binarize = Binarization::dynamic;
    write_metrics_csv(csv, rows);
    ASSERT_EQ(read_metrics_csv(csv).size(), 3u);
    EXPECT_EQ(read_metrics_csv(csv)[2].train.loss, rows[2].train.loss);
    EXPECT_EQ(read_metrics_csv(csv)[1].binarize, Binarization::none);
    EXPECT_EQ(read_metrics_csv(csv)[2].binarize, Binarization::dynamic);
    EXPECT_TRUE(read_all(csv).substr(0, read_all(csv).find('\n')).ends_with(",binarize"));

    std::string text = read_all(csv);
    text.resize(text.size() - 5);  // the last row loses its end and its newline
    write_plain(csv, text);
    const std::vector<EpochMetrics> kept = read_metrics_csv(csv);
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[1].epoch, 2);

    write_plain(csv,
                text.substr(0, text.find('\n') + 1) + "1,not,a,row\n" + "2,1,1,1,1,1,1,1,1,1\n");
    EXPECT_THROW(read_metrics_csv(csv), Error);

    const std::string header = text.substr(0, text.find('\n'));
    write_plain(csv, header + "\n2,1,1,1,1,1,1,1,1,1,fixed\n");  // not a training binarization
    EXPECT_THROW(read_metrics_csv(csv), Error);
    write_plain(csv, header + "\n2,1,1,1,1,1,1,1,1,1\n");  // the column missing
    EXPECT_THROW(read_metrics_csv(csv), Error);
    write_plain(csv, "epoch,loss\n2,1\n");  // another program's file
    EXPECT_THROW(read_metrics_csv(csv), Error);
}

TEST_F(OutputFiles, MetricsWrittenBeforeTheBinarizeColumnStillRead) {
    const fs::path csv = dir() / "metrics.csv";
    write_plain(csv,
                "epoch,train_loss,train_reconstruction,train_kl,test_loss,test_reconstruction,"
                "test_kl,images_per_second,train_seconds,stall_seconds\n"
                "1,150.5,130.25,20.25,140.5,120.25,20.25,800.0,75.000,0.010\n");
    std::vector<EpochMetrics> rows = read_metrics_csv(csv);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].test.loss, 140.5);
    EXPECT_EQ(rows[0].stall_seconds, 0.010);
    EXPECT_EQ(rows[0].binarize, Binarization::none);

    // Line ends a Windows editor left are read too.
    rows[0].binarize = Binarization::dynamic;
    write_metrics_csv(csv, rows);
    std::string crlf;
    for (const char c : read_all(csv)) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    write_plain(csv, crlf);
    rows = read_metrics_csv(csv);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].test.loss, 140.5);
    EXPECT_EQ(rows[0].binarize, Binarization::dynamic);
}

TEST_F(OutputFiles, OneRunPerFolder) {
    const RunFolder first(dir() / "run", RunFolder::Mode::fresh);
    try {
        const RunFolder second(dir() / "run", RunFolder::Mode::fresh);
        FAIL() << "a second run took the folder";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("is in use by another run (process "),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(OutputFiles, AnotherRunsFilesAreRefusedOrReplacedButNothingElse) {
    const fs::path run = dir() / "run";
    fs::create_directory(run);
    for (const char* name : {"checkpoint.safetensors", "metrics.csv", "samples_epoch_007.png"}) {
        write_plain(run / name, "another run");
    }
    write_plain(run / "notes.txt", "the user's own");
    write_plain(run / ".metrics.csv.tmp-Zz9Yy8", "a killed writer's leftover");
    EXPECT_THROW(RunFolder(run, RunFolder::Mode::fresh), ConfigError);
    EXPECT_EQ(read_all(run / "checkpoint.safetensors"), "another run");
    { const RunFolder replacing(run, RunFolder::Mode::overwrite); }
    EXPECT_FALSE(fs::exists(run / "checkpoint.safetensors"));
    EXPECT_FALSE(fs::exists(run / "samples_epoch_007.png"));
    EXPECT_FALSE(fs::exists(run / ".metrics.csv.tmp-Zz9Yy8"));
    EXPECT_EQ(read_all(run / "notes.txt"), "the user's own");
}

TEST_F(OutputFiles, ResumingKeepsTheFoldersOwnRun) {
    const fs::path run = dir() / "run";
    fs::create_directory(run);
    write_plain(run / "checkpoint.safetensors", "this run");
    write_plain(run / "metrics.csv", "this run's rows");
    { const RunFolder resumed(run, RunFolder::Mode::resume, run / "checkpoint.safetensors"); }
    {
        const RunFolder overwritten(run, RunFolder::Mode::overwrite,
                                    run / "checkpoint.safetensors");
    }
    EXPECT_EQ(read_all(run / "checkpoint.safetensors"), "this run");
    EXPECT_EQ(read_all(run / "metrics.csv"), "this run's rows");
    write_plain(dir() / "elsewhere.safetensors", "another checkpoint");
    EXPECT_THROW(RunFolder(run, RunFolder::Mode::resume, dir() / "elsewhere.safetensors"),
                 ConfigError);
}

TEST(ModelState, NonFiniteParametersAreFound) {
    Vae vae(testing::small_test_config(), 1);
    EXPECT_TRUE(vae.state_is_finite());
    for (const float poison :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
          -std::numeric_limits<float>::infinity()}) {
        std::vector<Tensor> params = vae.parameters();
        params[3].values.back() = poison;
        Vae poisoned(testing::small_test_config(), 1);
        poisoned.set_parameters(params);
        EXPECT_FALSE(poisoned.state_is_finite()) << poison;
    }
}

}  // namespace
}  // namespace vaednn
