#include "vaednn/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vaednn {
namespace {

constexpr std::string_view kTemporaryMark = ".tmp-";
constexpr std::size_t kUniqueChars = 6;  // mkostemp's XXXXXX

std::filesystem::path folder_of(const std::filesystem::path& file) {
    return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view doing, int err) {
    throw IoError(file, fmt::format("cannot {}: {}", doing, std::strerror(err)));
}

int retry_on_signal(const std::function<int()>& call) {
    int result = 0;
    do {
        result = call();
    } while (result != 0 && errno == EINTR);
    return result;
}

// The rename is durable only once the folder's entry is on disk too.
void sync_folder(const std::filesystem::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // best effort: some file systems refuse to open folders
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

void FileSink::write(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(target_, "write", errno);
        if (n == 0) fail(target_, "write", EIO);
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void write_file_atomically(const std::filesystem::path& file,
                           const std::function<void(FileSink&)>& fill,
                           const AtomicWriteHooks& hooks) {
    // The rename would replace whatever the name holds: a device (/dev/null, as root), a FIFO or
    // a socket someone reads is refused. A symlink is replaced itself, never followed.
    struct stat existing {};
    if (::lstat(file.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode) &&
        !S_ISLNK(existing.st_mode)) {
        throw IoError(file, S_ISDIR(existing.st_mode)
                                ? "is a folder: a file cannot take its place"
                                : "is not a regular file (a device, FIFO or socket): not replaced");
    }
    const std::filesystem::path folder = folder_of(file);
    std::string name = folder.string();
    name += "/.";
    name += file.filename().string();
    name += kTemporaryMark;
    name.append(kUniqueChars, 'X');
    // mkostemp opens with O_CREAT | O_EXCL: it never follows a symlink or reuses a file.
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) fail(file, "create a temporary file in " + folder.string(), errno);
    const std::filesystem::path temporary = name;
    bool open = true;
    try {
        if (::fchmod(fd, 0644) != 0) fail(file, "set permissions", errno);
        FileSink sink(fd, file);
        fill(sink);
        if (retry_on_signal([&] { return ::fsync(fd); }) != 0) fail(file, "write", errno);
        // Linux releases the descriptor whatever close returns: it is never closed twice (another
        // thread may have been given the number since).
        open = false;
        if (::close(fd) != 0 && errno != EINTR) fail(file, "write", errno);
        if (hooks.before_rename) hooks.before_rename(temporary);
    } catch (...) {
        if (open) ::close(fd);
        ::unlink(temporary.c_str());
        throw;
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(temporary.c_str());
        fail(file, "rename into place", err);
    }
    sync_folder(folder);
}

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes) {
    write_file_atomically(file, [&](FileSink& sink) { sink.write(bytes); });
}

bool is_atomic_temporary(std::string_view name) {
    if (name.size() < 1 + kTemporaryMark.size() + kUniqueChars || name.front() != '.') {
        return false;
    }
    const std::size_t mark = name.size() - kUniqueChars - kTemporaryMark.size();
    return name.substr(mark, kTemporaryMark.size()) == kTemporaryMark;
}

}  // namespace vaednn
