// Checkpoints: a safetensors file that PyTorch users can open (the parameters under the PyTorch
// twin's names and layouts), plus Adam's moments ("adam.m.*", "adam.v.*") and, in its metadata,
// everything else a resumed run needs to continue bit for bit: the configuration, the Adam step,
// the noise streams' positions, the data order's seed and the position within the epoch.
//
// Two kinds share the format: a training checkpoint (all of the above; what TrainingRun and
// vae_train write and resume from) and a model checkpoint (the model alone: configuration,
// parameters, Adam moments and step, noise streams; metadata "contents" is "model"), which any
// training loop can write, and which restore_model and vae_sample read but a resume refuses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "vaednn/atomic_file.hpp"
#include "vaednn/model.hpp"
#include "vaednn/safetensors.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {

enum class CheckpointContents {
    training,  // the model and where its training stands: it can be resumed
    model,     // the model alone: trainer, progress and dataset fields keep their defaults
};

struct CheckpointInfo {
    CheckpointContents contents = CheckpointContents::training;
    VaeConfig config;
    std::uint64_t model_seed = 0;
    std::int64_t adam_step = 0;
    Vae::NoiseState noise;
    TrainerOptions trainer;
    TrainerProgress progress;
    std::string dataset;   // the dataset's name, e.g. "mnist"
    std::string data_dir;  // where it was read
    std::size_t train_count = 0;
    std::string data_digest;  // Trainer::data_digest() of the data trained on; empty: unknown
    int threads = 0;          // compute threads of the run that wrote it; 0: unknown
};

struct Checkpoint {
    CheckpointInfo info;
    SafetensorsFile file;
};

// Writes a training checkpoint atomically (temporary file, fsync, rename): a crash leaves the
// previous checkpoint. Throws NumericalError, writing nothing, when the model's state is not
// finite; IoError when the file cannot be written. `hooks` inject faults for tests.
VAEDNN_EXPORT void save_checkpoint(const std::filesystem::path& file, const Vae& vae,
                                   const Trainer& trainer, const Dataset& data,
                                   const AtomicWriteHooks& hooks = {});

// Writes a model checkpoint (see above), for a program that trains with its own loop; the same
// guarantees and errors as the training checkpoint.
VAEDNN_EXPORT void save_checkpoint(const std::filesystem::path& file, const Vae& vae,
                                   const AtomicWriteHooks& hooks = {});

// Reads and checks a checkpoint: the safetensors rules, then ours — the format tag and version,
// a configuration that validates, every parameter and moment present with its shape for that
// configuration, and no tensor besides them. Throws CheckpointError naming the field or tensor.
VAEDNN_EXPORT Checkpoint read_checkpoint(const std::filesystem::path& file);

// The checkpoint's metadata, every field type- and range-checked (nothing in a file is trusted);
// throws CheckpointError naming the field. read_checkpoint's first half, for tools and fuzzers.
VAEDNN_EXPORT CheckpointInfo checkpoint_info(const std::filesystem::path& file,
                                             const std::map<std::string, std::string>& metadata);

// Builds the model the checkpoint holds: configuration, seed, parameters, Adam state, noise.
VAEDNN_EXPORT Vae restore_model(const Checkpoint& checkpoint);

}  // namespace vaednn
