// Reader for the IDX format of MNIST-style datasets (raw or gzip-compressed).
//
// The format: two zero bytes, an element-type code (0x08 = unsigned byte), the number of
// dimensions, then that many big-endian uint32 sizes, then the elements in row-major order.
// Every header field is checked before anything the header claims is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

// An n-dimensional array of unsigned bytes as stored in an IDX file.
struct IdxArray {
    std::vector<std::size_t> dims;    // outermost first, e.g. {count, rows, cols}
    std::vector<std::uint8_t> bytes;  // product(dims) elements, row-major
};

// The default caps: 2 GiB per file, 4 GiB for the files of one dataset together (Fashion-MNIST,
// the largest dataset we know, holds 55 MB).
inline constexpr std::size_t kIdxMaxFileBytes = std::size_t{2} << 30;
inline constexpr std::size_t kIdxMaxDatasetBytes = std::size_t{4} << 30;

struct IdxLimits {
    // The most payload bytes a file may claim. A header that claims more is rejected before
    // anything is allocated, so a crafted file cannot make the reader take gigabytes.
    std::size_t max_bytes = kIdxMaxFileBytes;
    // The most payload bytes the files read together (by load_image_set or load_dataset) may
    // claim in sum, so that several files each just under max_bytes cannot take several times it.
    std::size_t max_total_bytes = kIdxMaxDatasetBytes;
};

// What the files read together (the two of an image set, the four of a dataset) may still claim
// in sum. read_idx takes each file's claim out of it before allocating anything.
class IdxBudget {
  public:
    explicit IdxBudget(const IdxLimits& limits) noexcept
        : total_(limits.max_total_bytes), left_(limits.max_total_bytes) {}

    std::size_t total() const noexcept { return total_; }
    std::size_t left() const noexcept { return left_; }

    // Takes `bytes` out of what is left; false, taking nothing, when fewer are left.
    bool take(std::size_t bytes) noexcept {
        if (bytes > left_) return false;
        left_ -= bytes;
        return true;
    }

  private:
    std::size_t total_;
    std::size_t left_;
};

// Reads an IDX file of unsigned bytes with exactly `rank` dimensions. The file may be raw or
// gzip-compressed (detected by its first bytes; a file named *.gz must be gzip); it must be a
// regular file (a FIFO, a device or a socket is refused, never waited on), and a gzip file may
// hold several members but nothing after them.
// Throws DataError naming the file and the fault.
VAEDNN_EXPORT IdxArray read_idx(const std::filesystem::path& file, std::size_t rank,
                                const IdxLimits& limits = {});

// As above, and the file's claim must also fit in what is left of `budget`, which it then takes
// out: a claim over what is left is refused (too_large) before anything is allocated.
VAEDNN_EXPORT IdxArray read_idx(const std::filesystem::path& file, std::size_t rank,
                                const IdxLimits& limits, IdxBudget& budget);

}  // namespace vaednn
