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

// Fault injection for tests: `before_rename` is called with the temporary's path once it holds
// every byte (written, fsynced and closed), just before it is renamed over the target. A hook that
// throws fails the write as a full disk would (the temporary is removed, the target unchanged);
// one that kills the process leaves the temporary, as a crash there would. Empty in normal use.
struct AtomicWriteHooks {
    std::function<void(const std::filesystem::path& temporary)> before_rename;
};

// Replaces `file` atomically: `fill` writes into a fresh temporary in the same folder, created
// with O_EXCL (so a planted file or symlink of that name is never opened, let alone truncated)
// under a unique name (so two writers never share one), then it is fsynced, renamed over `file`
// and the folder is fsynced. A failure or a crash leaves the previous `file` as it was; on a
// failure the temporary is removed. Throws IoError naming `file`.
VAEDNN_EXPORT void write_file_atomically(const std::filesystem::path& file,
                                         const std::function<void(FileSink&)>& fill,
                                         const AtomicWriteHooks& hooks = {});
VAEDNN_EXPORT void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

// True when `name` is a temporary of write_file_atomically (".NAME.tmp-XXXXXX"), e.g. one a
// killed process left behind.
VAEDNN_EXPORT bool is_atomic_temporary(std::string_view name);

}  // namespace vaednn
