// A sequential byte reader over a file that is either raw or gzip-compressed.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

namespace vaednn::detail {

class ByteSource {
  public:
    // Opens `file`; gzip is recognised by its magic bytes. A file whose name ends in .gz must be
    // gzip. Throws DataError (missing_file, not_gzip, io).
    explicit ByteSource(std::filesystem::path file);

    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    ~ByteSource();

    // Reads up to `size` bytes into `out`; returns how many were read, fewer only at the end of
    // the data. Throws DataError (io, corrupt_gzip) when the file cannot be read or inflated.
    std::size_t read(void* out, std::size_t size);

    // The number of bytes left to read, when it is known without reading them (raw files).
    std::optional<std::size_t> remaining() const;

    bool compressed() const noexcept { return gz_ != nullptr; }
    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
    std::FILE* raw_ = nullptr;
    gzFile gz_ = nullptr;
    std::size_t raw_size_ = 0;
    std::size_t raw_consumed_ = 0;
};

}  // namespace vaednn::detail
