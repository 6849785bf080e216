// A sequential byte reader over a regular file that is either raw or gzip-compressed.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

namespace vaednn::detail {

// Owns a file descriptor and closes it, also when the constructor of its owner throws.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();

    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

class ByteSource {
  public:
    // How much of a compressed file is read at a time.
    static constexpr std::size_t kInputChunk = std::size_t{128} << 10;

    // Opens `file`, which must be a regular file: a directory, FIFO, device or socket is refused
    // at once, never waited on. Gzip is recognised by its magic bytes; a file whose name ends in
    // .gz must be gzip. Throws DataError (missing_file, not_gzip, io).
    explicit ByteSource(std::filesystem::path file);

    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    ~ByteSource();

    // Reads up to `size` bytes into `out`; returns how many were read, fewer only at the end of
    // the data. Throws DataError (io, corrupt_gzip, trailing_bytes) when the file cannot be read
    // or inflated, or holds bytes after its gzip stream.
    std::size_t read(void* out, std::size_t size);

    // The number of bytes left to read, when it is known without reading them (raw files).
    std::optional<std::size_t> remaining() const;

    bool compressed() const noexcept { return gzip_; }
    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::size_t read_file(unsigned char* out, std::size_t size);
    std::size_t inflate_into(unsigned char* out, std::size_t size);
    void refill_input();
    void end_of_member();

    std::filesystem::path path_;
    FileDescriptor fd_;
    std::size_t file_size_ = 0;      // as fstat saw it when the file was opened
    std::size_t file_consumed_ = 0;  // bytes taken from the descriptor so far
    bool gzip_ = false;

    // Gzip only: compressed bytes read but not yet inflated (zs_.next_in points into them).
    std::vector<unsigned char> input_;
    z_stream zs_{};
    bool inflating_ = false;     // zs_ was initialised and needs inflateEnd
    bool input_ended_ = false;   // the descriptor has no bytes left
    bool stream_ended_ = false;  // the last gzip member ended and nothing follows it
};

}  // namespace vaednn::detail
