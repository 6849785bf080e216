// Helpers that write IDX files, raw or gzip, byte by byte, so tests can craft any header.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace vaednn::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes idx_header(std::uint8_t type, std::initializer_list<std::uint32_t> dims) {
    Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>(d >> shift));
        }
    }
    return out;
}

inline Bytes idx_file(std::initializer_list<std::uint32_t> dims, const Bytes& payload) {
    Bytes out = idx_header(0x08, dims);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

inline void write_raw(const std::filesystem::path& file, const Bytes& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write test file " + file.string());
}

// One gzip member holding `bytes`. A non-empty `name` goes into the member's header (FNAME), which
// lets a test move where the member ends byte by byte without changing what it holds.
inline Bytes gzip_bytes(const Bytes& bytes, const std::string& name = {}) {
    uLongf size = compressBound(static_cast<uLong>(bytes.size())) + 32 + name.size();
    Bytes out(size);
    z_stream stream{};
    // windowBits 15 + 16 asks zlib for a gzip wrapper rather than a zlib one.
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string name_field = name;  // zlib wants a mutable, NUL-terminated buffer
    gz_header header{};
    header.name = reinterpret_cast<Bytef*>(name_field.data());
    header.os = 3;  // Unix, as gzip(1) writes
    if (!name.empty() && deflateSetHeader(&stream, &header) != Z_OK) {
        throw std::runtime_error("deflateSetHeader failed");
    }
    stream.next_in = const_cast<Bytef*>(bytes.data());
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

inline void write_gzip(const std::filesystem::path& file, const Bytes& bytes) {
    write_raw(file, gzip_bytes(bytes));
}

// Pixels 0, 1, 2, ... (mod 256): every position is distinguishable.
inline Bytes counting_bytes(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i);
    return out;
}

// Bytes that do not compress (a fixed xorshift sequence), so a gzip stream is as long as its data.
inline Bytes noise_bytes(std::size_t n) {
    Bytes out(n);
    std::uint64_t state = 0x9E3779B97F4A7C15u;
    for (std::size_t i = 0; i < n; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out[i] = static_cast<std::uint8_t>(state >> 32);
    }
    return out;
}

inline Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace vaednn::testing
