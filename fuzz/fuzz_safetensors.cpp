// libFuzzer target: the safetensors reader and its JSON header (fuzz_checkpoint covers what a
// checkpoint's metadata fields hold). Any input must give a file or a CheckpointError with a
// bounded message — never a crash, a hang, a leak, a stack overflow, or an allocation that the
// file's own size does not bound.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "vaednn/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path file =
        std::filesystem::temp_directory_path() /
        ("vaednn-fuzz-safetensors-" + std::to_string(getpid()) + ".safetensors");
    if (FILE* f = std::fopen(file.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        const vaednn::SafetensorsFile parsed = vaednn::read_safetensors(file);
        std::size_t bytes = 0;
        for (const vaednn::Tensor& t : parsed.tensors) bytes += t.values.size() * sizeof(float);
        if (bytes > size) __builtin_trap();  // tensors can only hold bytes the file holds
    } catch (const vaednn::CheckpointError& e) {
        // Names and values are quoted in short excerpts, however long the input.
        if (std::string_view(e.what()).size() > file.string().size() + 1024) __builtin_trap();
    }
    return 0;
}
