// The folder a training run writes into (checkpoint, metrics, timing, figures), held for the
// run's lifetime: locked against a second run, checked writable before any work, and never
// silently mixed with another run's files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

class VAEDNN_EXPORT RunFolder {
  public:
    enum class Mode {
        fresh,      // a new run: the folder must not hold another run's files
        overwrite,  // a new run that replaces another run's files (and only those)
        resume,     // continues `resumed_checkpoint`; the folder may hold that run, no other
    };

    // Creates `dir` (and its parents), takes its lock (.vaednn.lock, released when this object
    // or the process ends, however it ends), proves the folder writable by writing a probe
    // file, and removes temporaries that a killed writer left. Throws IoError when the folder
    // cannot be created, locked (another run holds it) or written, and ConfigError when it
    // holds another run's files that `mode` does not allow replacing.
    RunFolder(std::filesystem::path dir, Mode mode,
              const std::filesystem::path& resumed_checkpoint = {});
    ~RunFolder();
    RunFolder(const RunFolder&) = delete;
    RunFolder& operator=(const RunFolder&) = delete;

    const std::filesystem::path& path() const noexcept { return dir_; }
    std::filesystem::path checkpoint() const { return dir_ / "checkpoint.safetensors"; }
    std::filesystem::path metrics() const { return dir_ / "metrics.csv"; }
    std::filesystem::path timing() const { return dir_ / "timing.json"; }
    std::filesystem::path file(const std::string& name) const { return dir_ / name; }

    // The files of a run found in `dir`: the checkpoint, metrics, timing and figures.
    static std::vector<std::filesystem::path> run_files(const std::filesystem::path& dir);

  private:
    std::filesystem::path dir_;
    int lock_fd_ = -1;
};

}  // namespace vaednn
