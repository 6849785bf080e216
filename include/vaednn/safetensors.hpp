// The safetensors format (8-byte little-endian header length, a JSON header, raw data), as
// PyTorch users read it with safetensors.torch.load_file. Float32 tensors only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"
#include "vaednn/export.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

// A safetensors file that is missing, malformed or does not fit what the caller expects.
class VAEDNN_EXPORT CheckpointError : public FileError {
  public:
    using FileError::FileError;
};

struct VAEDNN_EXPORT SafetensorsFile {
    std::vector<Tensor> tensors;                  // in the order of their data
    std::map<std::string, std::string> metadata;  // the header's __metadata__

    // The tensor called `name`; throws CheckpointError naming `file` when there is none.
    const Tensor& at(const std::string& name) const;
    const Tensor* find(const std::string& name) const noexcept;
    std::filesystem::path file;
    // The CRC-32 (zlib's) of the file's bytes as read_safetensors read them, through the one
    // descriptor it checked: names the contents read, even if the path is rewritten meanwhile.
    // Empty for a file put together in memory (0 is the CRC of no bytes, not "unknown").
    std::optional<std::uint32_t> file_crc32;
};

// What read_safetensors accepts from a file. Beyond the data, memory goes to the parsed header,
// up to about 110 bytes per JSON value or key however short its text ("{}," is 3 bytes), so
// max_header_values bounds it: about 120 MiB at the default, which a header of 100,000 tensors
// stays under (it holds about 1,000,000 values). The header may nest at most 128 levels
// (safetensors' own limit; a checkpoint's header needs 3): nlohmann's printing recurses once per
// level, so the depth is checked before the header is parsed.
struct SafetensorsLimits {
    std::size_t max_header_bytes = std::size_t{16} << 20;
    std::size_t max_file_bytes = std::size_t{4} << 30;
    std::size_t max_header_values = std::size_t{1} << 20;
};

// Reads and checks a whole file: it is a regular file (a FIFO or a device is refused at once,
// never waited on), the header length is in bounds, the header is a JSON object nested at most
// 128 levels with no key given twice in one object (no tensor named twice, no metadata field
// given twice), every dtype is F32, every shape is valid, the data offsets are contiguous, in
// order of (begin, end), and cover the data exactly. Throws CheckpointError naming the fault;
// messages quote names and values from the file only in short excerpts, control characters
// escaped.
VAEDNN_EXPORT SafetensorsFile read_safetensors(const std::filesystem::path& file,
                                               const SafetensorsLimits& limits = {});

// Writes atomically: a temporary file in the same directory, fsync, then rename over `file`,
// so a crash leaves the old file or the new one, never half of one. Throws CheckpointError.
// `hooks` inject faults for tests (see AtomicWriteHooks).
VAEDNN_EXPORT void write_safetensors(const std::filesystem::path& file,
                                     const std::vector<Tensor>& tensors,
                                     const std::map<std::string, std::string>& metadata,
                                     const AtomicWriteHooks& hooks = {});

}  // namespace vaednn
