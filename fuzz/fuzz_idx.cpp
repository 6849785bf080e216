// libFuzzer target: the IDX reader, raw and gzip, through the public API. Any input must give an
// IdxArray or a DataError — never a crash, a hang, a leak, or an allocation beyond the input's
// own size (the reader may only grow its buffer with bytes that arrive; -rss_limit_mb checks it).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "vaednn/error.hpp"
#include "vaednn/idx.hpp"

namespace {

const std::filesystem::path& scratch_file(const char* suffix) {
    static const std::filesystem::path base =
        std::filesystem::temp_directory_path() / ("vaednn-fuzz-idx-" + std::to_string(getpid()));
    static std::filesystem::path raw = base.string() + ".idx", gz = base.string() + ".idx.gz";
    return std::string(suffix) == ".gz" ? gz : raw;
}

void read_as(const uint8_t* data, size_t size, const char* suffix, std::size_t rank) {
    const std::filesystem::path& file = scratch_file(suffix);
    if (FILE* f = std::fopen(file.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        // A 64 MiB cap: far above any input the fuzzer makes, far below its RSS limit.
        const vaednn::IdxArray array = vaednn::read_idx(file, rank, {std::size_t{64} << 20});
        std::size_t product = 1;
        for (std::size_t d : array.dims) product *= d;
        if (product != array.bytes.size()) __builtin_trap();  // the reader's own promise
    } catch (const vaednn::DataError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The first byte picks the rank the caller expects, the rest is the file; each input is read
    // both as a raw file and under a .gz name (gzip is detected by content, a .gz name demands it).
    if (size == 0) return 0;
    const std::size_t rank = 1 + data[0] % 4;
    read_as(data + 1, size - 1, "", rank);
    read_as(data + 1, size - 1, ".gz", rank);
    return 0;
}
