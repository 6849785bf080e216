#include "vaednn/run_folder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <regex>

#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLockName = ".vaednn.lock";
constexpr const char* kProbeName = ".vaednn.write-probe";

bool is_run_file(const std::string& name) {
    static const std::regex pattern(
        R"((checkpoint\.safetensors|metrics\.csv|timing\.json|loss_curves\.png|latent_map\.png|)"
        R"((samples|reconstruction)_epoch_[0-9]+\.png))");
    return std::regex_match(name, pattern);
}

// The process that holds the lock, as it wrote itself into the file (for the message only).
std::string holder_of(int fd) {
    std::array<char, 32> text{};
    const ssize_t n = ::pread(fd, text.data(), text.size() - 1, 0);
    if (n <= 0) return "another process";
    std::string pid(text.data(), static_cast<std::size_t>(n));
    pid.erase(std::remove_if(pid.begin(), pid.end(), [](char c) { return c < '0' || c > '9'; }),
              pid.end());
    return pid.empty() ? "another process" : "process " + pid;
}

std::string names_of(const std::vector<fs::path>& files) {
    std::string names;
    for (std::size_t i = 0; i < files.size() && i < 3; ++i) {
        names += (i ? ", " : "") + files[i].filename().string();
    }
    if (files.size() > 3) names += fmt::format(" and {} more", files.size() - 3);
    return names;
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

}  // namespace

std::vector<fs::path> RunFolder::run_files(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (is_run_file(it->path().filename().string())) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

RunFolder::RunFolder(fs::path dir, Mode mode, const fs::path& resumed_checkpoint)
    : dir_(std::move(dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw IoError(dir_, fmt::format("cannot create the output folder: {}", ec.message()));
    if (!fs::is_directory(dir_, ec)) throw IoError(dir_, "is not a folder");

    // O_NOFOLLOW: a symlink planted at the lock's name is refused, never followed.
    const fs::path lock = dir_ / kLockName;
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) {
        throw IoError(dir_, fmt::format("cannot use the output folder: {}", std::strerror(errno)));
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string holder = err == EWOULDBLOCK ? holder_of(lock_fd_) : "";
        ::close(lock_fd_);
        lock_fd_ = -1;
        if (err == EWOULDBLOCK) {
            throw IoError(dir_, fmt::format("is in use by another run ({}); wait for it to end "
                                            "or choose another --out",
                                            holder));
        }
        throw IoError(dir_, fmt::format("cannot lock the output folder: {}", std::strerror(err)));
    }
    try {
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(lock_fd_, 0) != 0 ||
            ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
            throw IoError(
                dir_, fmt::format("cannot write into the output folder: {}", std::strerror(errno)));
        }
        // Holding the lock, any temporary here is a killed writer's leftover.
        for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
            if (is_atomic_temporary(it->path().filename().string())) {
                fs::remove(it->path(), ec);  // unlinks a symlink itself, never its target
            }
        }
        // Found now, not after the first epoch: a full disk, a read-only mount, no permission.
        write_file_atomically(dir_ / kProbeName, std::string(4096, '\n'));
        fs::remove(dir_ / kProbeName, ec);

        std::vector<fs::path> others = run_files(dir_);
        // The run being resumed is this folder's own: its files are not another run's, and
        // --overwrite never deletes the checkpoint it continues from.
        if (!resumed_checkpoint.empty() && same_file(checkpoint(), resumed_checkpoint)) {
            others.clear();
        }
        if (!others.empty() && mode != Mode::overwrite) {
            throw ConfigError(fmt::format(
                "{} holds another run's files ({}); resume it with --resume {}, choose another "
                "--out, or pass --overwrite to replace them",
                dir_.string(), names_of(others), checkpoint().string()));
        }
        for (const fs::path& file : others) {
            if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
                throw IoError(file, fmt::format("cannot remove: {}", std::strerror(errno)));
            }
        }
    } catch (...) {
        ::close(lock_fd_);
        throw;
    }
}

RunFolder::~RunFolder() {
    if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the lock
}

}  // namespace vaednn
