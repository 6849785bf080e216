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

namespace vaednn {

// An n-dimensional array of unsigned bytes as stored in an IDX file.
struct IdxArray {
    std::vector<std::size_t> dims;    // outermost first, e.g. {count, rows, cols}
    std::vector<std::uint8_t> bytes;  // product(dims) elements, row-major
};

struct IdxLimits {
    // The most payload bytes a file may claim. A header that claims more is rejected before
    // anything is allocated, so a crafted file cannot make the reader take gigabytes.
    std::size_t max_bytes = std::size_t{2} << 30;
};

// Reads an IDX file of unsigned bytes with exactly `rank` dimensions. The file may be raw or
// gzip-compressed (detected by its first bytes; a file named *.gz must be gzip).
// Throws DataError naming the file and the fault.
IdxArray read_idx(const std::filesystem::path& file, std::size_t rank,
                  const IdxLimits& limits = {});

}  // namespace vaednn
