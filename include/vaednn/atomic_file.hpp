// Every file a run leaves behind (checkpoints, metrics, timing, figures) is written through here:
// whole or not at all, and never through a name someone else planted.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include "vaednn/error.hpp"

namespace vaednn {

// Hands the bytes of one file to the operating system; see write_file_atomically.
class VAEDNN_EXPORT FileSink {
  public:
    explicit FileSink(int fd, const std::filesystem::path& target) : fd_(fd), target_(target) {}
    // Writes all of `data`, retrying after signals; throws IoError (ENOSPC, EFBIG, EIO, ...).
    void write(const void* data, std::size_t size);
    void write(std::string_view text) { write(text.data(), text.size()); }

  private:
    int fd_;
    const std::filesystem::path& target_;
};

// Replaces `file` atomically: `fill` writes into a fresh temporary in the same folder, created
// with O_EXCL (so a planted file or symlink of that name is never opened, let alone truncated)
// under a unique name (so two writers never share one), then it is fsynced, renamed over `file`
// and the folder is fsynced. A failure or a crash leaves the previous `file` as it was; on a
// failure the temporary is removed. Throws IoError naming `file`.
VAEDNN_EXPORT void write_file_atomically(const std::filesystem::path& file,
                           const std::function<void(FileSink&)>& fill);
VAEDNN_EXPORT void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

// True when `name` is a temporary of write_file_atomically (".NAME.tmp-XXXXXX"), e.g. one a
// killed process left behind.
VAEDNN_EXPORT bool is_atomic_temporary(std::string_view name);

}  // namespace vaednn
