// libFuzzer target: a checkpoint's metadata fields (vaednn::checkpoint_info), the half of
// read_checkpoint that turns untrusted JSON into sizes, seeds and positions. Any input must give
// a CheckpointInfo whose every field is in range, or a vaednn::Error with a bounded message —
// never a crash, a hang, a leak or a stack overflow.
//
// Both kinds of checkpoint are reached: a training one (no "contents" field, as the seed inputs
// have) and a model one ("contents=model", which needs no trainer or dataset fields).
//
// The input is the metadata as text, one field a line, "key=value" (value: the rest of the line);
// a line without '=' removes that key. It starts from the two fields that make a checkpoint
// ("format" and "format_version"), so the fuzzer spends its time in the JSON fields behind them.
// tests/test_fuzz_regressions.cpp decodes tests/fuzz_regressions/checkpoint/ the same way.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "checkpoint_input.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/error.hpp"
#include "vaednn/runtime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path file = "fuzz.safetensors";
    const auto metadata = vaednn::fuzzing::checkpoint_metadata_from(
        std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        const vaednn::CheckpointInfo info = vaednn::checkpoint_info(file, metadata);
        // What a resume sizes or loops over must be in range, and the configuration usable.
        info.config.validate();
        if (info.trainer.batch_size == 0 || info.trainer.batch_size > vaednn::kMaxBatchSize ||
            info.adam_step < 0 || info.progress.epochs_done < 0 || info.threads < 0 ||
            info.data_dir.size() > 4096 || info.dataset.size() > 64) {
            __builtin_trap();
        }
    } catch (const vaednn::Error& e) {
        // Messages quote the input only in short excerpts, however long the input.
        if (std::string_view(e.what()).size() > 1024) __builtin_trap();
    }
    return 0;
}

// The model and the runtime need oneDNN, which this build leaves out; checkpoint.cpp's
// save_checkpoint and restore_model refer to them, so these stand-ins satisfy the linker. None is
// reachable from checkpoint_info: each aborts.
namespace vaednn {
struct Vae::Impl {};
Vae::Vae(const VaeConfig&, std::uint64_t, ComputeOptions) {
    std::abort();
}
Vae::~Vae() = default;
const VaeConfig& Vae::config() const noexcept {
    std::abort();
}
std::vector<Tensor> Vae::parameters() const {
    std::abort();
}
void Vae::set_parameters(const std::vector<Tensor>&) {
    std::abort();
}
std::vector<Tensor> Vae::adam_moments() const {
    std::abort();
}
void Vae::set_adam_state(const std::vector<Tensor>&, std::int64_t) {
    std::abort();
}
bool Vae::state_is_finite() const noexcept {
    std::abort();
}
std::int64_t Vae::optimizer_steps() const noexcept {
    std::abort();
}
std::uint64_t Vae::seed() const noexcept {
    std::abort();
}
Vae::NoiseState Vae::noise_state() const noexcept {
    std::abort();
}
void Vae::set_noise_state(const NoiseState&) noexcept {
    std::abort();
}
int compute_threads() {
    std::abort();
}
}  // namespace vaednn
