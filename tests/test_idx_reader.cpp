#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "formats/byte_source.hpp"
#include "idx_test_files.hpp"
#include "test_support.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/error.hpp"
#include "vaednn/idx.hpp"

namespace vaednn {
namespace {

using testing::Bytes;
using testing::concat;
using testing::counting_bytes;
using testing::gzip_bytes;
using testing::idx_file;
using testing::idx_header;
using testing::noise_bytes;
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

// What read_idx did with a file, run on a thread of its own: a reader stuck in open() or read()
// must fail the test, not hang the suite.
struct BoundedRead {
    bool returned = false;  // false: still blocked when the wait ran out
    std::optional<DataError> error;
};

BoundedRead read_idx_within(const std::filesystem::path& file, std::chrono::seconds patience) {
    // A promise's future, unlike std::async's, does not wait for the thread when destroyed.
    auto done = std::make_shared<std::promise<std::optional<DataError>>>();
    auto result = done->get_future();
    std::thread([file, done] {
        try {
            (void)read_idx(file, 3);
            done->set_value(std::nullopt);
        } catch (const DataError& e) {
            done->set_value(e);
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    }).detach();
    if (result.wait_for(patience) != std::future_status::ready) return {};
    return {true, result.get()};
}

TEST_F(IdxReader, FifoIsRefusedWithoutWaitingForAWriter) {
    const std::filesystem::path fifo = path("train-images-idx3-ubyte");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    const BoundedRead outcome = read_idx_within(fifo, std::chrono::seconds(60));
    if (!outcome.returned) {
        // Let the stuck reader go (a writer that opens and closes), so the process can end.
        const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (writer >= 0) ::close(writer);
        FAIL() << "read_idx blocked on a FIFO with no writer for 60 s";
    }
    ASSERT_TRUE(outcome.error.has_value()) << "read_idx read a FIFO without complaint";
    EXPECT_EQ(outcome.error->kind(), DataErrorKind::missing_file) << outcome.error->what();
    EXPECT_EQ(std::string(outcome.error->what()),
              fifo.string() + ": is not a regular file (a FIFO)");
}

TEST_F(IdxReader, CharacterDevicesAreRefused) {
    for (const char* device : {"/dev/null", "/dev/zero"}) {
        expect_error(device, 3, DataErrorKind::missing_file,
                     "is not a regular file (a character device)");
    }
}

TEST_F(IdxReader, SocketIsRefused) {
    const std::filesystem::path socket_path = path("sock");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(socket_path.string().size(), sizeof address.sun_path) << socket_path;
    std::strcpy(address.sun_path, socket_path.c_str());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0) << std::strerror(errno);
    ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
    expect_error(socket_path, 3, DataErrorKind::missing_file, "is not a regular file (a socket)");
    ::close(listener);
}

TEST_F(IdxReader, SymlinkToARegularFileIsRead) {
    const Bytes pixels = counting_bytes(2 * 2 * 2);
    write_raw(path("images"), idx_file({2, 2, 2}, pixels));
    std::filesystem::create_symlink(path("images"), path("link"));
    EXPECT_EQ(read_idx(path("link"), 3).bytes, pixels);
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

TEST_F(IdxReader, GzipStreamFollowedByGarbage) {
    const Bytes gz = gzip_bytes(idx_file({2, 2, 2}, counting_bytes(8)));
    const std::vector<std::pair<std::string, Bytes>> tails = {
        {"text", {'g', 'a', 'r', 'b', 'a', 'g', 'e'}},
        {"one zero byte", {0}},
        {"zero padding", Bytes(4096, 0)},
        {"half a gzip magic", {0x1f}},
        {"a gzip magic backwards", {0x8b, 0x1f, 0x08, 0x00}},
    };
    for (const auto& [what, tail] : tails) {
        SCOPED_TRACE(what);
        write_raw(path("f.gz"), concat(gz, tail));
        expect_error(path("f.gz"), 3, DataErrorKind::trailing_bytes,
                     "after the end of the gzip stream");
    }
}

TEST_F(IdxReader, ConcatenatedGzipMembersAreOneStream) {
    // `cat a.gz b.gz` is a valid gzip file: its data is a's followed by b's.
    const Bytes file = idx_file({3, 5, 7}, counting_bytes(3 * 5 * 7));
    const Bytes head(file.begin(), file.begin() + 10);
    const Bytes middle(file.begin() + 10, file.begin() + 50);
    const Bytes tail(file.begin() + 50, file.end());
    write_raw(path("f.gz"), concat(concat(gzip_bytes(head), gzip_bytes(middle)), gzip_bytes(tail)));
    const IdxArray array = read_idx(path("f.gz"), 3);
    EXPECT_EQ(array.bytes, counting_bytes(3 * 5 * 7));
}

TEST_F(IdxReader, GarbageAfterTheLastOfSeveralMembers) {
    const Bytes file = idx_file({2, 2, 2}, counting_bytes(8));
    const Bytes head(file.begin(), file.begin() + 7);
    const Bytes tail(file.begin() + 7, file.end());
    write_raw(path("f.gz"), concat(concat(gzip_bytes(head), gzip_bytes(tail)), {'x', 'y'}));
    expect_error(path("f.gz"), 3, DataErrorKind::trailing_bytes,
                 "after the end of the gzip stream");
}

TEST_F(IdxReader, SecondGzipMemberCutShort) {
    const Bytes file = idx_file({64, 28, 28}, noise_bytes(64 * 28 * 28));
    const Bytes head(file.begin(), file.begin() + 16);
    const Bytes tail(file.begin() + 16, file.end());
    Bytes second = gzip_bytes(tail);
    second.resize(second.size() / 2);
    write_raw(path("f.gz"), concat(gzip_bytes(head), second));
    expect_error(path("f.gz"), 3, DataErrorKind::corrupt_gzip, "the gzip stream is cut short");
}

TEST_F(IdxReader, GzipMemberBoundaryAnywhereNearTheEndOfAnInputChunk) {
    // The reader takes the compressed file in chunks; a member may end, and the next one's magic
    // bytes may begin, at any offset of a chunk, including split across two chunks. The first
    // member's name field moves its end across the first chunk boundary one byte at a time.
    const Bytes file = idx_file({300000}, noise_bytes(300000));
    const Bytes head(file.begin(), file.begin() + 100000);
    const Bytes tail(file.begin() + 100000, file.end());
    const Bytes second = gzip_bytes(tail);
    // A name of n bytes makes the member `fixed + n` bytes long.
    const std::size_t fixed = gzip_bytes(head, "n").size() - 1;
    constexpr std::size_t chunk = detail::ByteSource::kInputChunk;
    ASSERT_LT(fixed + 1, chunk - 3) << "the first member must be able to end before the boundary";
    for (std::size_t end = chunk - 3; end <= chunk + 3; ++end) {
        SCOPED_TRACE(end);
        const Bytes first = gzip_bytes(head, std::string(end - fixed, 'n'));
        ASSERT_EQ(first.size(), end);
        write_raw(path("f.gz"), concat(first, second));
        EXPECT_EQ(read_idx(path("f.gz"), 1).bytes, noise_bytes(300000));
        write_raw(path("g.gz"), concat(first, {0x1f}));
        expect_error(path("g.gz"), 1, DataErrorKind::trailing_bytes,
                     "after the end of the gzip stream");
    }
}

TEST_F(IdxReader, FuzzRegressionsOfGzipFollowedByGarbageAreRejected) {
    // tests/fuzz_regressions/idx/gzip-then-*: as the fuzzer reads them, the first byte picks the
    // rank and the rest is the file.
    std::size_t seen = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(VAEDNN_TEST_FUZZ_DIR) / "idx")) {
        if (entry.path().filename().string().rfind("gzip-then-", 0) != 0) continue;
        SCOPED_TRACE(entry.path().string());
        std::ifstream in(entry.path(), std::ios::binary);
        const Bytes input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ASSERT_GT(input.size(), 1u);
        write_raw(path("input.idx.gz"), Bytes(input.begin() + 1, input.end()));
        expect_error(path("input.idx.gz"), 1 + input[0] % 4, DataErrorKind::trailing_bytes,
                     "after the end of the gzip stream");
        ++seen;
    }
    EXPECT_GE(seen, 4u);
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

class ImageSetFiles : public testing::TempDirTest {
  protected:
    // The four files of a dataset, each `count` images of 1 x 1 pixels and `count` labels: every
    // file claims `count` bytes.
    void write_dataset(std::uint32_t count) const {
        Bytes labels = counting_bytes(count);
        for (auto& label : labels) label = static_cast<std::uint8_t>(label % 10);
        for (const char* split : {"train", "t10k"}) {
            write_raw(dir() / (std::string(split) + "-images-idx3-ubyte"),
                      idx_file({count, 1, 1}, counting_bytes(count)));
            write_raw(dir() / (std::string(split) + "-labels-idx1-ubyte"),
                      idx_file({count}, labels));
        }
    }
};

TEST_F(ImageSetFiles, DefaultCaps) {
    EXPECT_EQ(IdxLimits{}.max_bytes, std::size_t{2} << 30);
    EXPECT_EQ(IdxLimits{}.max_total_bytes, std::size_t{4} << 30);
}

TEST_F(ImageSetFiles, DatasetCapCountsTheSumOfItsFiles) {
    // Four files of 1000 bytes each: every one is within the per-file cap, the four are not
    // within a total of 3500.
    write_dataset(1000);
    const Dataset fits =
        load_dataset(dir(), "custom", {.max_bytes = 1000, .max_total_bytes = 4000});
    EXPECT_EQ(fits.test.count, 1000u);
    try {
        (void)load_dataset(dir(), "custom", {.max_bytes = 1000, .max_total_bytes = 3500});
        FAIL() << "expected the dataset's total cap to be enforced";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::too_large) << e.what();
        EXPECT_EQ(e.file(), dir() / "t10k-labels-idx1-ubyte");
        EXPECT_NE(std::string(e.what()).find("claim 1000 bytes, more than the 500 bytes left of "
                                             "the limit of 3500"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(ImageSetFiles, ImageSetCapCountsImagesAndLabels) {
    write_raw(dir() / "img", idx_file({3, 2, 2}, counting_bytes(12)));
    write_raw(dir() / "lab", idx_file({3}, {0, 9, 4}));
    EXPECT_EQ(load_image_set(dir() / "img", dir() / "lab", {.max_total_bytes = 15}).count, 3u);
    try {
        (void)load_image_set(dir() / "img", dir() / "lab", {.max_total_bytes = 14});
        FAIL() << "expected the total cap to cover images and labels together";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::too_large) << e.what();
        EXPECT_EQ(e.file(), dir() / "lab");
    }
}

TEST_F(ImageSetFiles, LyingGzipHeaderOverTheTotalCapFailsFast) {
    // 1.9 GB claimed, under the 2 GiB per-file cap but over a 1 GiB budget: rejected from the
    // header alone, before a byte of the payload is inflated or allocated.
    write_gzip(dir() / "img.gz", idx_file({1900000000, 1, 1}, counting_bytes(10)));
    write_raw(dir() / "lab", idx_file({1}, {0}));
    const long before = peak_rss_kib();
    const auto started = std::chrono::steady_clock::now();
    try {
        (void)load_image_set(dir() / "img.gz", dir() / "lab", {.max_total_bytes = 1u << 30});
        FAIL() << "expected too_large";
    } catch (const DataError& e) {
        EXPECT_EQ(e.kind(), DataErrorKind::too_large) << e.what();
        EXPECT_EQ(e.file(), dir() / "img.gz");
        EXPECT_NE(std::string(e.what()).find("claim 1900000000 bytes"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_LT(peak_rss_kib() - before, 64 * 1024) << "peak RSS grew by more than 64 MiB";
}

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
