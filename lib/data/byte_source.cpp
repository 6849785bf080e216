#include "data/byte_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include "vaednn/error.hpp"

namespace vaednn::detail {
namespace {

constexpr unsigned char kGzipMagic[2] = {0x1f, 0x8b};

bool has_gz_suffix(const std::filesystem::path& file) {
    return file.extension() == ".gz";
}

}  // namespace

ByteSource::ByteSource(std::filesystem::path file) : path_(std::move(file)) {
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) {
        throw DataError(DataErrorKind::missing_file, path_, "is a directory, not a data file");
    }
    raw_ = std::fopen(path_.c_str(), "rb");
    if (raw_ == nullptr) {
        const int err = errno;
        const auto kind = err == ENOENT ? DataErrorKind::missing_file : DataErrorKind::io;
        throw DataError(kind, path_, fmt::format("cannot open: {}", std::strerror(err)));
    }

    unsigned char magic[2] = {0, 0};
    const std::size_t got = std::fread(magic, 1, sizeof magic, raw_);
    const bool is_gzip = got == 2 && std::memcmp(magic, kGzipMagic, 2) == 0;
    if (has_gz_suffix(path_) && !is_gzip) {
        std::fclose(raw_);
        raw_ = nullptr;
        throw DataError(DataErrorKind::not_gzip, path_,
                        "is named .gz but is not a gzip file (no gzip magic bytes)");
    }

    if (is_gzip) {
        std::fclose(raw_);
        raw_ = nullptr;
        gz_ = gzopen(path_.c_str(), "rb");
        if (gz_ == nullptr) {
            throw DataError(DataErrorKind::io, path_, "cannot open the gzip stream");
        }
        gzbuffer(gz_, 1u << 17);
        return;
    }

    // Raw file: its size tells how many bytes are left, so a header can be checked against it
    // before anything is allocated.
    if (std::fseek(raw_, 0, SEEK_END) != 0) {
        std::fclose(raw_);
        raw_ = nullptr;
        throw DataError(DataErrorKind::io, path_, "cannot seek (not a regular file?)");
    }
    const long size = std::ftell(raw_);
    if (size < 0 || std::fseek(raw_, 0, SEEK_SET) != 0) {
        std::fclose(raw_);
        raw_ = nullptr;
        throw DataError(DataErrorKind::io, path_, "cannot determine the file size");
    }
    raw_size_ = static_cast<std::size_t>(size);
}

ByteSource::~ByteSource() {
    if (raw_ != nullptr) std::fclose(raw_);
    if (gz_ != nullptr) gzclose(gz_);
}

std::size_t ByteSource::read(void* out, std::size_t size) {
    auto* dst = static_cast<unsigned char*>(out);
    if (raw_ != nullptr) {
        const std::size_t got = std::fread(dst, 1, size, raw_);
        raw_consumed_ += got;
        if (got < size && std::ferror(raw_)) {
            throw DataError(DataErrorKind::io, path_, "read failed");
        }
        return got;
    }

    // gzread takes an unsigned int count, so large reads go in chunks.
    std::size_t total = 0;
    while (total < size) {
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - total, INT_MAX / 2));
        const int got = gzread(gz_, dst + total, chunk);
        int errnum = Z_OK;
        const char* message = gzerror(gz_, &errnum);
        if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
            // Z_BUF_ERROR at the end means the compressed stream stopped in the middle.
            const std::string why = errnum == Z_BUF_ERROR
                                        ? std::string("the gzip stream is cut short")
                                        : fmt::format("the gzip stream is corrupt ({})", message);
            throw DataError(DataErrorKind::corrupt_gzip, path_, why);
        }
        if (got == 0) break;
        total += static_cast<std::size_t>(got);
    }
    return total;
}

std::optional<std::size_t> ByteSource::remaining() const {
    if (raw_ == nullptr) return std::nullopt;
    return raw_size_ - raw_consumed_;
}

}  // namespace vaednn::detail
