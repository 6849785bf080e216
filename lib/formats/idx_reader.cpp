#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "formats/byte_source.hpp"
#include "vaednn/error.hpp"
#include "vaednn/idx.hpp"

namespace vaednn {
namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;
constexpr std::size_t kMaxRank = 8;  // the format allows 255; no dataset of ours needs more
// The payload grows as it arrives from a gzip stream, never from the header's claim alone.
constexpr std::size_t kGzipChunk = std::size_t{1} << 20;

std::uint32_t big_endian_u32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::string dims_text(const std::vector<std::size_t>& dims) {
    return fmt::format("{}", fmt::join(dims, " x "));
}

// Reads exactly `size` header bytes or explains how far the file got.
void read_header_bytes(detail::ByteSource& in, unsigned char* out, std::size_t size,
                       std::size_t already, std::size_t header_size) {
    const std::size_t got = in.read(out, size);
    if (got < size) {
        throw DataError(DataErrorKind::header_truncated, in.path(),
                        fmt::format("the IDX header is cut short: the file ends after {} bytes of "
                                    "a {}-byte header",
                                    already + got, header_size));
    }
}

std::vector<std::uint8_t> read_payload_raw(detail::ByteSource& in, std::size_t expected,
                                           const std::string& shape) {
    const std::size_t available = *in.remaining();
    if (available < expected) {
        throw DataError(DataErrorKind::data_truncated, in.path(),
                        fmt::format("the data is cut short: the header promises {} bytes ({}) but "
                                    "the file holds {}",
                                    expected, shape, available));
    }
    if (available > expected) {
        throw DataError(DataErrorKind::trailing_bytes, in.path(),
                        fmt::format("{} unexpected bytes follow the {} bytes of data ({})",
                                    available - expected, expected, shape));
    }
    std::vector<std::uint8_t> bytes(expected);
    if (in.read(bytes.data(), expected) != expected) {
        throw DataError(DataErrorKind::io, in.path(), "the file shrank while it was being read");
    }
    return bytes;
}

std::vector<std::uint8_t> read_payload_gzip(detail::ByteSource& in, std::size_t expected,
                                            const std::string& shape) {
    std::vector<std::uint8_t> bytes;
    while (bytes.size() < expected) {
        const std::size_t old_size = bytes.size();
        const std::size_t want = std::min(kGzipChunk, expected - old_size);
        bytes.resize(old_size + want);
        const std::size_t got = in.read(bytes.data() + old_size, want);
        bytes.resize(old_size + got);
        if (got < want) {
            throw DataError(DataErrorKind::data_truncated, in.path(),
                            fmt::format("the data is cut short: the header promises {} bytes ({}) "
                                        "but the stream holds {}",
                                        expected, shape, bytes.size()));
        }
    }
    unsigned char extra = 0;
    if (in.read(&extra, 1) != 0) {
        throw DataError(
            DataErrorKind::trailing_bytes, in.path(),
            fmt::format("unexpected bytes follow the {} bytes of data ({})", expected, shape));
    }
    return bytes;
}

// Reads `file`; its claim is taken out of `budget` too when there is one.
IdxArray read_idx_within(const std::filesystem::path& file, std::size_t rank,
                         const IdxLimits& limits, IdxBudget* budget) {
    detail::ByteSource in(file);

    std::array<unsigned char, 4> magic{};
    read_header_bytes(in, magic.data(), magic.size(), 0, 4);
    if (magic[0] != 0 || magic[1] != 0) {
        throw DataError(DataErrorKind::bad_magic, file,
                        fmt::format("not an IDX file: it starts with bytes {:#04x} {:#04x}, "
                                    "expected 0x00 0x00",
                                    magic[0], magic[1]));
    }
    if (magic[2] != kUnsignedByteType) {
        throw DataError(DataErrorKind::bad_element_type, file,
                        fmt::format("IDX element type is {:#04x}; only unsigned bytes (0x08) are "
                                    "supported",
                                    magic[2]));
    }
    if (magic[3] != rank) {
        throw DataError(DataErrorKind::bad_rank, file,
                        fmt::format("IDX array has {} dimensions; expected {}", magic[3], rank));
    }
    if (rank == 0 || rank > kMaxRank) {
        throw DataError(DataErrorKind::bad_rank, file,
                        fmt::format("IDX arrays of rank {} are not supported", rank));
    }

    const std::size_t header_size = 4 + 4 * rank;
    std::array<unsigned char, 4 * kMaxRank> raw_dims{};
    read_header_bytes(in, raw_dims.data(), 4 * rank, 4, header_size);

    IdxArray array;
    array.dims.resize(rank);
    std::size_t total = 1;
    bool overflow = false;
    for (std::size_t d = 0; d < rank; ++d) {
        array.dims[d] = big_endian_u32(raw_dims.data() + 4 * d);
        if (array.dims[d] == 0) {
            throw DataError(DataErrorKind::zero_dimension, file,
                            fmt::format("IDX dimension {} of {} is zero ({})", d + 1, rank,
                                        dims_text(array.dims)));
        }
        overflow = overflow || __builtin_mul_overflow(total, array.dims[d], &total);
    }
    const std::string shape = dims_text(array.dims);
    if (overflow) {
        throw DataError(DataErrorKind::too_large, file,
                        fmt::format("IDX dimensions {} overflow a 64-bit size", shape));
    }
    if (total > limits.max_bytes) {
        throw DataError(DataErrorKind::too_large, file,
                        fmt::format("IDX dimensions {} claim {} bytes, more than the limit of {}",
                                    shape, total, limits.max_bytes));
    }
    // Files read together share one budget, so that many files just under the per-file limit
    // cannot together make the reader take many times it.
    if (budget != nullptr && !budget->take(total)) {
        throw DataError(DataErrorKind::too_large, file,
                        fmt::format("IDX dimensions {} claim {} bytes, more than the {} bytes left "
                                    "of the limit of {} on the files read together",
                                    shape, total, budget->left(), budget->total()));
    }

    array.bytes =
        in.compressed() ? read_payload_gzip(in, total, shape) : read_payload_raw(in, total, shape);
    return array;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& file, std::size_t rank, const IdxLimits& limits) {
    return read_idx_within(file, rank, limits, nullptr);
}

IdxArray read_idx(const std::filesystem::path& file, std::size_t rank, const IdxLimits& limits,
                  IdxBudget& budget) {
    return read_idx_within(file, rank, limits, &budget);
}

}  // namespace vaednn
