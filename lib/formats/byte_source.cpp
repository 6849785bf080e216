#include "formats/byte_source.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "vaednn/error.hpp"

namespace vaednn::detail {
namespace {

constexpr unsigned char kGzipMagic[2] = {0x1f, 0x8b};
// windowBits for inflateInit2: the largest window, and 16 to expect a gzip wrapper, not zlib's.
constexpr int kGzipWindowBits = 16 + MAX_WBITS;

bool has_gz_suffix(const std::filesystem::path& file) {
    return file.extension() == ".gz";
}

const char* kind_of_file(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "of an unknown kind";
}

[[noreturn]] void throw_not_regular(const std::filesystem::path& file, mode_t mode) {
    if (S_ISDIR(mode)) {
        throw DataError(DataErrorKind::missing_file, file, "is a directory, not a data file");
    }
    throw DataError(DataErrorKind::missing_file, file,
                    fmt::format("is not a regular file ({})", kind_of_file(mode)));
}

// O_NONBLOCK because opening a FIFO for reading would otherwise wait for a writer, possibly
// forever. It changes nothing for the regular files that get past fstat.
int open_for_reading(const std::filesystem::path& file) {
    int fd = -1;
    do {
        fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) return fd;

    const int err = errno;
    // A socket cannot be opened at all; say what it is rather than "No such device or address".
    // (stat only words the message: nothing is read through this path.)
    struct stat info {};
    if (err == ENXIO && ::stat(file.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
        throw_not_regular(file, info.st_mode);
    }
    const auto kind = err == ENOENT ? DataErrorKind::missing_file : DataErrorKind::io;
    throw DataError(kind, file, fmt::format("cannot open: {}", std::strerror(err)));
}

// The size of the open file, checked to be a regular one on the descriptor itself, so that what
// is checked is what is read.
std::size_t regular_file_size(int fd, const std::filesystem::path& file) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        throw DataError(DataErrorKind::io, file,
                        fmt::format("cannot inspect the open file: {}", std::strerror(errno)));
    }
    if (!S_ISREG(info.st_mode)) throw_not_regular(file, info.st_mode);
    return static_cast<std::size_t>(info.st_size);
}

// The first two bytes, read without moving the descriptor's offset.
bool starts_with_gzip_magic(int fd, const std::filesystem::path& file) {
    unsigned char magic[2] = {0, 0};
    std::size_t got = 0;
    while (got < sizeof magic) {
        const ssize_t n = ::pread(fd, magic + got, sizeof magic - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            throw DataError(DataErrorKind::io, file,
                            fmt::format("read failed: {}", std::strerror(errno)));
        }
        if (n == 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return std::memcmp(magic, kGzipMagic, sizeof magic) == 0;
}

}  // namespace

FileDescriptor::~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
}

ByteSource::ByteSource(std::filesystem::path file)
    : path_(std::move(file)), fd_(open_for_reading(path_)) {
    file_size_ = regular_file_size(fd_.get(), path_);
    gzip_ = starts_with_gzip_magic(fd_.get(), path_);
    if (has_gz_suffix(path_) && !gzip_) {
        throw DataError(DataErrorKind::not_gzip, path_,
                        "is named .gz but is not a gzip file (no gzip magic bytes)");
    }
    if (!gzip_) return;

    // A chunk, or less for a small file (most label files): room for all of it.
    input_.resize(std::clamp<std::size_t>(file_size_, sizeof kGzipMagic, kInputChunk));
    if (inflateInit2(&zs_, kGzipWindowBits) != Z_OK) {
        throw DataError(DataErrorKind::io, path_, "cannot start inflating the gzip stream");
    }
    inflating_ = true;
}

ByteSource::~ByteSource() {
    if (inflating_) inflateEnd(&zs_);
}

std::size_t ByteSource::read(void* out, std::size_t size) {
    auto* dst = static_cast<unsigned char*>(out);
    return gzip_ ? inflate_into(dst, size) : read_file(dst, size);
}

std::optional<std::size_t> ByteSource::remaining() const {
    if (gzip_) return std::nullopt;
    return file_size_ - std::min(file_consumed_, file_size_);
}

// Reads from the descriptor until `size` bytes or the end of the file: read(2) may return fewer
// bytes than asked for without being at the end.
std::size_t ByteSource::read_file(unsigned char* out, std::size_t size) {
    std::size_t total = 0;
    while (total < size) {
        const ssize_t got = ::read(fd_.get(), out + total, size - total);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            throw DataError(DataErrorKind::io, path_,
                            fmt::format("read failed: {}", std::strerror(errno)));
        }
        if (got == 0) break;
        total += static_cast<std::size_t>(got);
    }
    file_consumed_ += total;
    return total;
}

std::size_t ByteSource::inflate_into(unsigned char* out, std::size_t size) {
    std::size_t total = 0;
    while (total < size && !stream_ended_) {
        if (zs_.avail_in == 0 && !input_ended_) refill_input();
        // avail_out is an unsigned int, so large reads go in pieces.
        const auto room = static_cast<uInt>(std::min<std::size_t>(size - total, UINT_MAX));
        zs_.next_out = out + total;
        zs_.avail_out = room;
        const int status = inflate(&zs_, Z_NO_FLUSH);
        total += room - zs_.avail_out;
        if (status == Z_STREAM_END) {
            end_of_member();
        } else if (status == Z_BUF_ERROR && zs_.avail_in == 0 && input_ended_) {
            // No progress and no input left: the file ends inside a member.
            throw DataError(DataErrorKind::corrupt_gzip, path_, "the gzip stream is cut short");
        } else if (status != Z_OK) {
            throw DataError(DataErrorKind::corrupt_gzip, path_,
                            fmt::format("the gzip stream is corrupt ({})",
                                        zs_.msg != nullptr ? zs_.msg : zError(status)));
        }
    }
    return total;
}

// Keeps the compressed bytes not yet inflated, moved to the front of the buffer, and reads more
// after them.
void ByteSource::refill_input() {
    const std::size_t kept = zs_.avail_in;
    if (kept > 0 && zs_.next_in != input_.data()) std::memmove(input_.data(), zs_.next_in, kept);
    const std::size_t wanted = input_.size() - kept;
    const std::size_t got = read_file(input_.data() + kept, wanted);
    input_ended_ = got < wanted;  // read_file stops short only at the end of the file
    zs_.next_in = input_.data();
    zs_.avail_in = static_cast<uInt>(kept + got);
}

// A gzip file may hold several members back to back (`cat a.gz b.gz` is valid gzip), so another
// member may follow; anything else after a member is an error, though zlib's gzread ignores it.
void ByteSource::end_of_member() {
    while (zs_.avail_in < sizeof kGzipMagic && !input_ended_) refill_input();
    if (zs_.avail_in == 0) {
        stream_ended_ = true;
        return;
    }
    if (zs_.avail_in >= sizeof kGzipMagic &&
        std::memcmp(zs_.next_in, kGzipMagic, sizeof kGzipMagic) == 0) {
        inflateReset(&zs_);  // keeps the gzip wrapper setting
        return;
    }
    // Count to the end of the file as opened; what is already buffered if the file shrank since.
    const std::size_t member_end = file_consumed_ - zs_.avail_in;
    const std::size_t extra =
        std::max<std::size_t>(file_size_ - std::min(member_end, file_size_), zs_.avail_in);
    throw DataError(DataErrorKind::trailing_bytes, path_,
                    fmt::format("{} unexpected {} after the end of the gzip stream (at byte {}), "
                                "not another gzip member",
                                extra, extra == 1 ? "byte" : "bytes", member_end));
}

}  // namespace vaednn::detail
