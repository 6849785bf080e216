// The safetensors format (8-byte little-endian header length, a JSON header, raw data), as
// PyTorch users read it with safetensors.torch.load_file. Float32 tensors only.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "vaednn/error.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

// A safetensors file that is missing, malformed or does not fit what the caller expects.
class CheckpointError : public Error {
  public:
    CheckpointError(std::filesystem::path file, const std::string& what)
        : Error(file.string() + ": " + what), file_(std::move(file)) {}
    const std::filesystem::path& file() const noexcept { return file_; }

  private:
    std::filesystem::path file_;
};

struct SafetensorsFile {
    std::vector<Tensor> tensors;                  // in the order of their data
    std::map<std::string, std::string> metadata;  // the header's __metadata__

    // The tensor called `name`; throws CheckpointError naming `file` when there is none.
    const Tensor& at(const std::string& name) const;
    const Tensor* find(const std::string& name) const noexcept;
    std::filesystem::path file;
};

struct SafetensorsLimits {
    std::size_t max_header_bytes = std::size_t{16} << 20;
    std::size_t max_file_bytes = std::size_t{4} << 30;
};

// Reads and checks a whole file: the header length is in bounds, the header is a JSON object
// without duplicate names, every dtype is F32, every shape is valid, the data offsets are
// contiguous, in order, and cover the data exactly. Throws CheckpointError naming the fault.
SafetensorsFile read_safetensors(const std::filesystem::path& file,
                                 const SafetensorsLimits& limits = {});

// Writes atomically: a temporary file in the same directory, fsync, then rename over `file`,
// so a crash leaves the old file or the new one, never half of one. Throws CheckpointError.
void write_safetensors(const std::filesystem::path& file, const std::vector<Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace vaednn
