#include <gtest/gtest.h>
#include <sys/resource.h>

#include "idx_test_files.hpp"
#include "test_support.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/error.hpp"
#include "vaednn/idx.hpp"

namespace vaednn {
namespace {

using testing::Bytes;
using testing::counting_bytes;
using testing::idx_file;
using testing::idx_header;
using testing::write_gzip;
using testing::write_raw;

class IdxReader : public testing::TempDirTest {
  protected:
    std::filesystem::path path(const std::string& name) const { return dir() / name; }

    // Reads `file` expecting a DataError of `kind` whose message names the file and contains
    // `fragment`.
    static void expect_error(const std::filesystem::path& file, std::size_t rank,
                             DataErrorKind kind, const std::string& fragment,
                             const IdxLimits& limits = {}) {
        try {
            (void)read_idx(file, rank, limits);
            FAIL() << "expected a DataError reading " << file;
        } catch (const DataError& e) {
            EXPECT_EQ(e.kind(), kind) << e.what();
            EXPECT_EQ(e.file(), file);
            EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
                << "message: " << e.what() << "\nexpected to contain: " << fragment;
        }
    }
};

TEST_F(IdxReader, ReadsRawFile) {
    const Bytes pixels = counting_bytes(2 * 3 * 4);
    write_raw(path("images"), idx_file({2, 3, 4}, pixels));
    const IdxArray array = read_idx(path("images"), 3);
    EXPECT_EQ(array.dims, (std::vector<std::size_t>{2, 3, 4}));
    EXPECT_EQ(array.bytes, pixels);
}

TEST_F(IdxReader, ReadsGzipFileWithOrWithoutSuffix) {
    const Bytes pixels = counting_bytes(5 * 7 * 3);
    write_gzip(path("images.gz"), idx_file({5, 7, 3}, pixels));
    write_gzip(path("images-no-suffix"), idx_file({5, 7, 3}, pixels));
    for (const char* name : {"images.gz", "images-no-suffix"}) {
        const IdxArray array = read_idx(path(name), 3);
        EXPECT_EQ(array.dims, (std::vector<std::size_t>{5, 7, 3})) << name;
        EXPECT_EQ(array.bytes, pixels) << name;
    }
}

TEST_F(IdxReader, ReadsGzipLargerThanOneChunk) {
    // More than the reader's 1 MiB growth step, so the chunked path is exercised.
    const Bytes pixels = counting_bytes(3 * 1024 * 1024 + 17);
    write_gzip(path("big.gz"), idx_file({3 * 1024 * 1024 + 17}, pixels));
    EXPECT_EQ(read_idx(path("big.gz"), 1).bytes, pixels);
}

// --- One test per kind of bad input. ---

TEST_F(IdxReader, MissingFile) {
    expect_error(path("nope"), 3, DataErrorKind::missing_file, "cannot open");
}

TEST_F(IdxReader, DirectoryInsteadOfFile) {
    expect_error(dir(), 3, DataErrorKind::missing_file, "is a directory");
}

TEST_F(IdxReader, WrongMagic) {
    Bytes bytes = idx_file({1, 1, 1}, {7});
    bytes[0] = 0x12;
    write_raw(path("f"), bytes);
    expect_error(path("f"), 3, DataErrorKind::bad_magic, "not an IDX file");
}

TEST_F(IdxReader, WrongElementType) {
    Bytes bytes = idx_header(0x0D, {1, 1, 1});  // 0x0D = float
    bytes.insert(bytes.end(), {0, 0, 0, 0});
    write_raw(path("f"), bytes);
    expect_error(path("f"), 3, DataErrorKind::bad_element_type, "element type is 0x0d");
}

TEST_F(IdxReader, WrongRank) {
    write_raw(path("f"), idx_file({2, 2, 2}, counting_bytes(8)));
    expect_error(path("f"), 1, DataErrorKind::bad_rank, "has 3 dimensions; expected 1");
}

TEST_F(IdxReader, EmptyFile) {
    write_raw(path("f"), {});
    expect_error(path("f"), 3, DataErrorKind::header_truncated, "after 0 bytes of a 4-byte");
}

TEST_F(IdxReader, HeaderCutShort) {
    Bytes bytes = idx_header(0x08, {60000, 28, 28});
    bytes.resize(9);
    write_raw(path("f"), bytes);
    expect_error(path("f"), 3, DataErrorKind::header_truncated, "after 9 bytes of a 16-byte");
}

TEST_F(IdxReader, DataCutShort) {
    Bytes bytes = idx_file({2, 2, 2}, counting_bytes(7));
    write_raw(path("f"), bytes);
    expect_error(path("f"), 3, DataErrorKind::data_truncated, "promises 8 bytes (2 x 2 x 2)");
}

TEST_F(IdxReader, TrailingBytes) {
    write_raw(path("f"), idx_file({2, 2, 2}, counting_bytes(11)));
    expect_error(path("f"), 3, DataErrorKind::trailing_bytes, "3 unexpected bytes");
}

TEST_F(IdxReader, ZeroDimension) {
    write_raw(path("f"), idx_file({3, 0, 28}, {}));
    expect_error(path("f"), 3, DataErrorKind::zero_dimension, "dimension 2 of 3 is zero");
}

TEST_F(IdxReader, DimensionsWhoseProductOverflows) {
    write_raw(path("f"), idx_file({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
    expect_error(path("f"), 3, DataErrorKind::too_large, "overflow a 64-bit size");
}

TEST_F(IdxReader, DimensionsAboveTheCap) {
    write_raw(path("f"), idx_file({60000, 28, 28}, {}));
    expect_error(path("f"), 3, DataErrorKind::too_large, "more than the limit of 1000",
                 IdxLimits{.max_bytes = 1000});
}

TEST_F(IdxReader, NamedGzButNotGzip) {
    write_raw(path("f.gz"), idx_file({1, 1, 1}, {1}));
    expect_error(path("f.gz"), 3, DataErrorKind::not_gzip, "not a gzip file");
}

TEST_F(IdxReader, CorruptGzipStream) {
    Bytes gz = testing::gzip_bytes(idx_file({4, 4, 4}, counting_bytes(64)));
    for (std::size_t i = 12; i < gz.size(); ++i) gz[i] = static_cast<std::uint8_t>(gz[i] ^ 0x5A);
    write_raw(path("f.gz"), gz);
    expect_error(path("f.gz"), 3, DataErrorKind::corrupt_gzip, "gzip stream");
}

TEST_F(IdxReader, GzipStreamCutShort) {
    Bytes gz = testing::gzip_bytes(idx_file({64, 28, 28}, counting_bytes(64 * 28 * 28)));
    gz.resize(gz.size() / 2);
    write_raw(path("f.gz"), gz);
    expect_error(path("f.gz"), 3, DataErrorKind::corrupt_gzip, "cut short");
}

TEST_F(IdxReader, GzipDataCutShort) {
    write_gzip(path("f.gz"), idx_file({2, 2, 2}, counting_bytes(5)));
    expect_error(path("f.gz"), 3, DataErrorKind::data_truncated, "the stream holds 5");
}

TEST_F(IdxReader, GzipTrailingBytes) {
    write_gzip(path("f.gz"), idx_file({2, 2, 2}, counting_bytes(9)));
    expect_error(path("f.gz"), 3, DataErrorKind::trailing_bytes, "unexpected bytes follow");
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

TEST_F(IdxReader, LyingGzipHeaderDoesNotAllocateWhatItClaims) {
    // The header claims 1.9 GB (under the 2 GiB cap); the stream holds 10 bytes. The reader must
    // grow its buffer with the data that arrives, not with the claim.
    write_gzip(path("liar.gz"), idx_file({1900000000}, counting_bytes(10)));
    const long before = peak_rss_kib();
    expect_error(path("liar.gz"), 1, DataErrorKind::data_truncated, "the stream holds 10");
    EXPECT_LT(peak_rss_kib() - before, 64 * 1024) << "peak RSS grew by more than 64 MiB";
}

TEST_F(IdxReader, LyingRawHeaderDoesNotAllocateWhatItClaims) {
    write_raw(path("liar"), idx_file({1900000000}, counting_bytes(10)));
    const long before = peak_rss_kib();
    expect_error(path("liar"), 1, DataErrorKind::data_truncated, "the file holds 10");
    EXPECT_LT(peak_rss_kib() - before, 64 * 1024) << "peak RSS grew by more than 64 MiB";
}

// --- Image sets: images and labels together. ---

class ImageSetFiles : public testing::TempDirTest {};

TEST_F(ImageSetFiles, LoadsMatchingImagesAndLabels) {
    write_raw(dir() / "img", idx_file({3, 2, 2}, counting_bytes(12)));
    write_gzip(dir() / "lab.gz", idx_file({3}, {0, 9, 4}));
    const ImageSet set = load_image_set(dir() / "img", dir() / "lab.gz");
    EXPECT_EQ(set.count, 3u);
    EXPECT_EQ(set.rows, 2u);
    EXPECT_EQ(set.cols, 2u);
    EXPECT_EQ(set.labels, (Bytes{0, 9, 4}));
    EXPECT_EQ(set.image(2)[3], 11);
    const ImageSetSummary summary = summarize(set);
    EXPECT_NEAR(summary.pixel_mean, 66.0 / (12 * 255.0), 1e-12);
    EXPECT_EQ(summary.label_counts[9], 1u);
    EXPECT_EQ(summary.label_counts[1], 0u);
}

TEST_F(ImageSetFiles, CountMismatch) {
    write_raw(dir() / "img", idx_file({3, 2, 2}, counting_bytes(12)));
    write_raw(dir() / "lab", idx_file({2}, {1, 2}));
    try {
        (void)load_image_set(dir() / "img", dir() / "lab");
        FAIL() << "expected a count mismatch";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::count_mismatch);
        EXPECT_NE(std::string(e.what()).find("holds 2 labels but"), std::string::npos) << e.what();
    }
}

TEST_F(ImageSetFiles, LabelAboveNine) {
    write_raw(dir() / "img", idx_file({3, 2, 2}, counting_bytes(12)));
    write_raw(dir() / "lab", idx_file({3}, {1, 10, 2}));
    try {
        (void)load_image_set(dir() / "img", dir() / "lab");
        FAIL() << "expected a bad label";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::bad_label);
        EXPECT_NE(std::string(e.what()).find("label 10 of item 1"), std::string::npos) << e.what();
    }
}

TEST_F(ImageSetFiles, MissingDatasetFileIsNamed) {
    write_raw(dir() / "train-images-idx3-ubyte", idx_file({1, 1, 1}, {0}));
    try {
        (void)load_dataset(dir(), "custom");
        FAIL() << "expected a missing file";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::missing_file);
        EXPECT_EQ(e.file(), dir() / "train-labels-idx1-ubyte");
    }
}

TEST_F(ImageSetFiles, SplitsWithDifferentImageSizes) {
    write_raw(dir() / "train-images-idx3-ubyte", idx_file({1, 2, 2}, counting_bytes(4)));
    write_raw(dir() / "train-labels-idx1-ubyte", idx_file({1}, {3}));
    write_raw(dir() / "t10k-images-idx3-ubyte.gz",
              testing::gzip_bytes(idx_file({1, 3, 3}, counting_bytes(9))));
    write_raw(dir() / "t10k-labels-idx1-ubyte", idx_file({1}, {4}));
    try {
        (void)load_dataset(dir(), "custom");
        FAIL() << "expected a shape mismatch";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::bad_shape);
        EXPECT_NE(std::string(e.what()).find("2x2 but test images are 3x3"), std::string::npos);
    }
}

}  // namespace
}  // namespace vaednn
