#include "vaednn/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "formats/json_limits.hpp"
#include "vaednn/error.hpp"
#include "vaednn/runtime.hpp"

namespace vaednn {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "vaednn-checkpoint";
constexpr int kFormatVersion = 1;
// Metadata "contents": absent in a training checkpoint (as every older one), "model" otherwise.
constexpr const char* kModelContents = "model";
constexpr const char* kTrainingContents = "training";

json config_to_json(const VaeConfig& c) {
    return {{"image_rows", c.image_rows},
            {"image_cols", c.image_cols},
            {"hidden", c.hidden},
            {"latent", c.latent},
            {"decoder_channels", c.decoder_channels},
            {"likelihood", to_string(c.likelihood)},
            {"learning_rate", c.adam.learning_rate},
            {"beta1", c.adam.beta1},
            {"beta2", c.adam.beta2},
            {"epsilon", c.adam.epsilon},
            {"reference_batch", c.reference_batch}};
}

json loss_to_json(const LossTerms& t) {
    return {{"loss", t.loss}, {"reconstruction", t.reconstruction}, {"kl", t.kl}};
}

// Every number in a checkpoint is untrusted: each is read through one of these, which check its
// JSON type and its range before it is converted, so nothing wraps, truncates or sizes anything
// unchecked. Messages name the field and never quote more than a short excerpt.
class MetadataReader {
  public:
    MetadataReader(const std::filesystem::path& file, std::string section, const json& object)
        : file_(file), section_(std::move(section)), object_(object) {
        if (!object_.is_object()) fail("is not a JSON object");
    }

    const json& field(const char* key) const {
        const auto it = object_.find(key);
        if (it == object_.end()) fail(fmt::format("has no field '{}'", key));
        return *it;
    }
    bool has(const char* key) const { return object_.contains(key); }
    const std::filesystem::path& file() const noexcept { return file_; }

    // Within [low, high]; every field of ours is a count, a position or a seed, never negative.
    template <typename Int>
    Int integer(const char* key, Int low, Int high) const {
        static_assert(std::is_integral_v<Int>);
        const json& v = field(key);
        if (!v.is_number_integer()) fail(fmt::format("'{}' is not an integer", key));
        // nlohmann stores every non-negative integer as unsigned, so a signed one is negative.
        if (!v.is_number_unsigned()) fail(fmt::format("'{}' is negative", key));
        const auto value = v.get<std::uint64_t>();
        if (value < static_cast<std::uint64_t>(low) || value > static_cast<std::uint64_t>(high)) {
            fail(fmt::format("'{}' is {}, outside {}..{}", key, value, low, high));
        }
        return static_cast<Int>(value);
    }

    // Finite and within [low, high].
    double real(const char* key, double low, double high) const {
        const json& v = field(key);
        if (!v.is_number()) fail(fmt::format("'{}' is not a number", key));
        const double value = v.get<double>();
        if (!std::isfinite(value) || value < low || value > high) {
            fail(fmt::format("'{}' is {}, outside [{}, {}]", key, value, low, high));
        }
        return value;
    }

    std::string text(const char* key, std::size_t max_bytes) const {
        const json& v = field(key);
        if (!v.is_string()) fail(fmt::format("'{}' is not a string", key));
        const auto& value = v.get_ref<const std::string&>();
        const bool control = std::any_of(value.begin(), value.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
        if (value.size() > max_bytes || control) {
            fail(fmt::format("'{}' is longer than {} bytes or holds control characters", key,
                             max_bytes));
        }
        return value;
    }

    MetadataReader object(const char* key) const {
        return MetadataReader(file_, section_ + "." + key, field(key));
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw CheckpointError(file_, fmt::format("metadata '{}' {}", section_, what));
    }

    const std::filesystem::path& file_;
    std::string section_;
    const json& object_;
};

constexpr std::uint64_t kAnyU64 = std::numeric_limits<std::uint64_t>::max();
// Bounds of what a run can reach, generous but far below where any product could overflow.
constexpr std::size_t kMaxImages = std::size_t{1} << 32;
constexpr int kMaxEpochs = 100000;  // vae_train's --epochs
constexpr std::int64_t kMaxAdamSteps = std::int64_t{1} << 48;
constexpr double kMaxSeconds = 1e9;
constexpr double kMaxLossSum = 1e30;  // per-image losses summed over an epoch
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxDigestBytes = 128;
constexpr std::size_t kMaxMetadataFieldBytes = 64 << 10;

VaeConfig config_from(const MetadataReader& j) {
    VaeConfig c;
    c.image_rows = j.integer<int>("image_rows", 4, 1024);
    c.image_cols = j.integer<int>("image_cols", 4, 1024);
    c.hidden = j.integer<int>("hidden", 1, 8192);
    c.latent = j.integer<int>("latent", 1, 4096);
    const json& channels = j.field("decoder_channels");
    if (!channels.is_array() || channels.size() != c.decoder_channels.size()) {
        throw CheckpointError(j.file(), "metadata 'config' 'decoder_channels' is not 3 integers");
    }
    for (std::size_t i = 0; i < c.decoder_channels.size(); ++i) {
        const json one = {{"channels", channels[i]}};
        c.decoder_channels[i] = MetadataReader(j.file(), "config.decoder_channels", one)
                                    .integer<int>("channels", 1, 4096);
    }
    c.likelihood = likelihood_from_string(j.text("likelihood", 16));
    c.adam.learning_rate = static_cast<float>(j.real("learning_rate", 1e-12, 10.0));
    c.adam.beta1 = static_cast<float>(j.real("beta1", 0.0, 0.999999));
    c.adam.beta2 = static_cast<float>(j.real("beta2", 0.0, 0.999999999));
    c.adam.epsilon = static_cast<float>(j.real("epsilon", 1e-30, 0.5));
    c.reference_batch = j.integer<int>("reference_batch", 1, static_cast<int>(kMaxBatchSize));
    return c;
}

LossTerms loss_from(const MetadataReader& j) {
    return {j.real("loss", -kMaxLossSum, kMaxLossSum),
            j.real("reconstruction", -kMaxLossSum, kMaxLossSum),
            j.real("kl", -kMaxLossSum, kMaxLossSum)};
}

// The metadata field `key` parsed as JSON, or a CheckpointError naming it.
json metadata_json(const std::filesystem::path& file,
                   const std::map<std::string, std::string>& metadata, const std::string& key) {
    const auto it = metadata.find(key);
    if (it == metadata.end()) {
        throw CheckpointError(file, fmt::format("metadata field '{}' is missing", key));
    }
    // Ours are a few hundred bytes; parsing megabytes of tiny values would cost far more memory.
    if (it->second.size() > kMaxMetadataFieldBytes) {
        throw CheckpointError(file, fmt::format("metadata field '{}' is {} bytes, more than {}",
                                                key, it->second.size(), kMaxMetadataFieldBytes));
    }
    if (detail::json_nesting_depth(it->second) > detail::kMaxJsonDepth) {
        throw CheckpointError(file, fmt::format("metadata field '{}' nests deeper than {} levels",
                                                key, detail::kMaxJsonDepth));
    }
    json value = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        throw CheckpointError(file, fmt::format("metadata field '{}' is not valid JSON", key));
    }
    return value;
}

// What both kinds of checkpoint hold: the parameters and Adam moments as tensors, and the model's
// configuration, seed, Adam step and noise streams ("state" gets more fields in a training one).
struct ModelRecord {
    std::vector<Tensor> tensors;
    json config;
    json state;
};

ModelRecord model_record(const std::filesystem::path& file, const Vae& vae) {
    // A diverged model is never saved: the checkpoint on disk stays the last good one.
    if (!vae.state_is_finite()) {
        throw NumericalError(
            fmt::format("{}: not written: the model's parameters or Adam moments are not finite",
                        file.string()));
    }
    ModelRecord record{vae.parameters(), config_to_json(vae.config()), {}};
    std::vector<Tensor> moments = vae.adam_moments();
    record.tensors.insert(record.tensors.end(), std::make_move_iterator(moments.begin()),
                          std::make_move_iterator(moments.end()));
    const Vae::NoiseState noise = vae.noise_state();
    record.state = {
        {"model_seed", vae.seed()},         {"adam_step", vae.optimizer_steps()},
        {"noise_training", noise.training}, {"noise_samples", noise.samples},
        {"threads", compute_threads()},
    };
    return record;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& file, const Vae& vae, const Trainer& trainer,
                     const Dataset& data, const AtomicWriteHooks& hooks) {
    ModelRecord record = model_record(file, vae);
    const TrainerProgress& p = trainer.progress();
    const TrainerOptions& o = trainer.options();
    // Doubles go through JSON at round-trip precision, so a resumed epoch's sums are exact.
    record.state.update({
        {"batch_size", o.batch_size},
        {"data_seed", o.seed},
        {"limit", o.limit},
        {"binarize", to_string(o.binarize)},
        {"epochs_done", p.epochs_done},
        {"next_batch", p.next_batch},
        {"epoch_sums", loss_to_json(p.sums)},
        {"epoch_images", p.images},
        {"epoch_train_seconds", p.train_seconds},
        {"epoch_stall_seconds", p.stall_seconds},
    });
    // Absolute, so the run resumes from any working directory.
    std::error_code ec;
    const std::filesystem::path data_dir = std::filesystem::absolute(data.dir, ec);
    const json dataset = {{"name", data.name},
                          {"dir", (ec ? data.dir : data_dir).string()},
                          {"train_count", trainer.train_count()},
                          {"digest", trainer.data_digest()}};
    // No "contents" field: a training checkpoint is what every version has written without one.
    const std::map<std::string, std::string> metadata = {
        {"format", kFormat},
        {"format_version", std::to_string(kFormatVersion)},
        {"config", record.config.dump()},
        {"state", record.state.dump()},
        {"dataset", dataset.dump()},
    };
    write_safetensors(file, record.tensors, metadata, hooks);
}

void save_checkpoint(const std::filesystem::path& file, const Vae& vae,
                     const AtomicWriteHooks& hooks) {
    const ModelRecord record = model_record(file, vae);
    const std::map<std::string, std::string> metadata = {
        {"format", kFormat},
        {"format_version", std::to_string(kFormatVersion)},
        {"contents", kModelContents},
        {"config", record.config.dump()},
        {"state", record.state.dump()},
    };
    write_safetensors(file, record.tensors, metadata, hooks);
}

CheckpointInfo checkpoint_info(const std::filesystem::path& path,
                               const std::map<std::string, std::string>& metadata) {
    const auto format = metadata.find("format");
    if (format == metadata.end() || format->second != kFormat) {
        throw CheckpointError(path,
                              "is a safetensors file but not a vaednn checkpoint (metadata "
                              "'format' is not 'vaednn-checkpoint')");
    }
    const auto version = metadata.find("format_version");
    if (version == metadata.end() || version->second != std::to_string(kFormatVersion)) {
        throw CheckpointError(
            path,
            fmt::format("checkpoint format version '{}' is not supported "
                        "(this build reads version {})",
                        version == metadata.end() ? "" : detail::quoted_excerpt(version->second),
                        kFormatVersion));
    }

    CheckpointInfo info;
    if (const auto contents = metadata.find("contents"); contents != metadata.end()) {
        if (contents->second == kModelContents) {
            info.contents = CheckpointContents::model;
        } else if (contents->second != kTrainingContents) {
            throw CheckpointError(
                path, fmt::format("metadata 'contents' is '{}', neither '{}' nor '{}'",
                                  detail::quoted_excerpt(contents->second), kTrainingContents,
                                  kModelContents));
        }
    }
    const json config_json = metadata_json(path, metadata, "config");
    try {
        info.config = config_from(MetadataReader(path, "config", config_json));
        info.config.validate();
    } catch (const ConfigError& e) {
        throw CheckpointError(path, fmt::format("holds an unusable configuration: {}", e.what()));
    }

    const json state_json = metadata_json(path, metadata, "state");
    const MetadataReader state(path, "state", state_json);
    info.model_seed = state.integer<std::uint64_t>("model_seed", 0, kAnyU64);
    info.adam_step = state.integer<std::int64_t>("adam_step", 0, kMaxAdamSteps);
    info.noise = {state.integer<std::uint64_t>("noise_training", 0, kAnyU64),
                  state.integer<std::uint64_t>("noise_samples", 0, kAnyU64)};
    // Written since the thread count was recorded; older checkpoints leave it unknown (0).
    if (state.has("threads")) info.threads = state.integer<int>("threads", 1, 1 << 20);
    if (info.contents == CheckpointContents::model) return info;

    info.trainer.batch_size = state.integer<std::size_t>("batch_size", 1, kMaxBatchSize);
    info.trainer.seed = state.integer<std::uint64_t>("data_seed", 0, kAnyU64);
    info.trainer.limit = state.integer<std::size_t>("limit", 0, kMaxImages);
    // Written since binarisation was added; older checkpoints trained on grey levels.
    if (state.has("binarize")) {
        const std::string binarize = state.text("binarize", 16);
        if (binarize != "none" && binarize != "dynamic") {
            throw CheckpointError(path, fmt::format("state field 'binarize' is '{}', neither "
                                                    "'none' nor 'dynamic'",
                                                    detail::quoted_excerpt(binarize)));
        }
        info.trainer.binarize = binarization_from_string(binarize);
    }
    info.progress.epochs_done = state.integer<int>("epochs_done", 0, kMaxEpochs);
    info.progress.next_batch = state.integer<std::size_t>("next_batch", 0, kMaxImages);
    info.progress.sums = loss_from(state.object("epoch_sums"));
    info.progress.images = state.integer<std::size_t>("epoch_images", 0, kMaxImages);
    info.progress.train_seconds = state.real("epoch_train_seconds", 0.0, kMaxSeconds);
    info.progress.stall_seconds = state.real("epoch_stall_seconds", 0.0, kMaxSeconds);

    const json dataset_json = metadata_json(path, metadata, "dataset");
    const MetadataReader dataset(path, "dataset", dataset_json);
    info.dataset = dataset.text("name", 64);
    info.data_dir = dataset.text("dir", kMaxPathBytes);
    info.train_count = dataset.integer<std::size_t>("train_count", 1, kMaxImages);
    if (dataset.has("digest")) info.data_digest = dataset.text("digest", kMaxDigestBytes);
    return info;
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
    Checkpoint checkpoint{{}, read_safetensors(path)};
    const SafetensorsFile& file = checkpoint.file;
    checkpoint.info = checkpoint_info(path, file.metadata);
    const CheckpointInfo& info = checkpoint.info;

    // The tensors must be exactly the model's parameters and their two Adam moments. The shapes
    // come from the configuration alone: nothing the file claims is built before it is checked.
    std::set<std::string> expected;
    for (const ParameterShape& t : parameter_shapes(info.config)) {
        for (const char* prefix : {"", "adam.m.", "adam.v."}) {
            const std::string name = prefix + t.name;
            expected.insert(name);
            const Tensor* found = file.find(name);
            if (found == nullptr)
                throw CheckpointError(path, fmt::format("tensor '{}' is missing", name));
            if (found->shape != t.shape) {
                throw CheckpointError(path, fmt::format("tensor '{}' has shape [{}]; the "
                                                        "configuration needs [{}]",
                                                        name, fmt::join(found->shape, ", "),
                                                        fmt::join(t.shape, ", ")));
            }
        }
    }
    for (const Tensor& t : file.tensors) {
        if (!expected.contains(t.name)) {
            throw CheckpointError(path, fmt::format("tensor '{}' is not part of this model",
                                                    detail::quoted_excerpt(t.name)));
        }
    }
    return checkpoint;
}

Vae restore_model(const Checkpoint& checkpoint) {
    const CheckpointInfo& info = checkpoint.info;
    Vae vae(info.config, info.model_seed);
    std::vector<Tensor> params, moments;
    for (const Tensor& t : checkpoint.file.tensors) {
        (t.name.rfind("adam.", 0) == 0 ? moments : params).push_back(t);
    }
    vae.set_parameters(params);
    vae.set_adam_state(moments, info.adam_step);
    vae.set_noise_state(info.noise);
    return vae;
}

}  // namespace vaednn
