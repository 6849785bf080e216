#include "vaednn/checkpoint.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "vaednn/error.hpp"

namespace vaednn {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "vaednn-checkpoint";
constexpr int kFormatVersion = 1;

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

VaeConfig config_from_json(const json& j) {
    VaeConfig c;
    c.image_rows = j.at("image_rows").get<int>();
    c.image_cols = j.at("image_cols").get<int>();
    c.hidden = j.at("hidden").get<int>();
    c.latent = j.at("latent").get<int>();
    c.decoder_channels = j.at("decoder_channels").get<std::array<int, 3>>();
    c.likelihood = likelihood_from_string(j.at("likelihood").get<std::string>());
    c.adam.learning_rate = j.at("learning_rate").get<float>();
    c.adam.beta1 = j.at("beta1").get<float>();
    c.adam.beta2 = j.at("beta2").get<float>();
    c.adam.epsilon = j.at("epsilon").get<float>();
    c.reference_batch = j.at("reference_batch").get<int>();
    return c;
}

json loss_to_json(const LossTerms& t) {
    return {{"loss", t.loss}, {"reconstruction", t.reconstruction}, {"kl", t.kl}};
}

LossTerms loss_from_json(const json& j) {
    return {j.at("loss").get<double>(), j.at("reconstruction").get<double>(),
            j.at("kl").get<double>()};
}

// The metadata field `key` parsed as JSON, or a CheckpointError naming it.
json metadata_json(const SafetensorsFile& file, const std::string& key) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) {
        throw CheckpointError(file.file, fmt::format("metadata field '{}' is missing", key));
    }
    json value = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        throw CheckpointError(file.file, fmt::format("metadata field '{}' is not valid JSON", key));
    }
    return value;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& file, const Vae& vae, const Trainer& trainer,
                     const Dataset& data) {
    std::vector<Tensor> tensors = vae.parameters();
    std::vector<Tensor> moments = vae.adam_moments();
    tensors.insert(tensors.end(), std::make_move_iterator(moments.begin()),
                   std::make_move_iterator(moments.end()));

    const TrainerProgress& p = trainer.progress();
    const TrainerOptions& o = trainer.options();
    const Vae::NoiseState noise = vae.noise_state();
    // Doubles go through JSON at round-trip precision, so a resumed epoch's sums are exact.
    const json state = {
        {"model_seed", vae.seed()},
        {"adam_step", vae.optimizer_steps()},
        {"noise_training", noise.training},
        {"noise_samples", noise.samples},
        {"batch_size", o.batch_size},
        {"data_seed", o.seed},
        {"limit", o.limit},
        {"epochs_done", p.epochs_done},
        {"next_batch", p.next_batch},
        {"epoch_sums", loss_to_json(p.sums)},
        {"epoch_images", p.images},
        {"epoch_train_seconds", p.train_seconds},
        {"epoch_stall_seconds", p.stall_seconds},
    };
    const json dataset = {
        {"name", data.name}, {"dir", data.dir.string()}, {"train_count", trainer.train_count()}};
    const std::map<std::string, std::string> metadata = {
        {"format", kFormat},
        {"format_version", std::to_string(kFormatVersion)},
        {"config", config_to_json(vae.config()).dump()},
        {"state", state.dump()},
        {"dataset", dataset.dump()},
    };
    write_safetensors(file, tensors, metadata);
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
    Checkpoint checkpoint{{}, read_safetensors(path)};
    const SafetensorsFile& file = checkpoint.file;
    CheckpointInfo& info = checkpoint.info;

    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() || format->second != kFormat) {
        throw CheckpointError(path,
                              "is a safetensors file but not a vaednn checkpoint (metadata "
                              "'format' is not 'vaednn-checkpoint')");
    }
    const auto version = file.metadata.find("format_version");
    if (version == file.metadata.end() || version->second != std::to_string(kFormatVersion)) {
        throw CheckpointError(
            path,
            fmt::format("checkpoint format version '{}' is not supported "
                        "(this build reads version {})",
                        version == file.metadata.end() ? "" : version->second, kFormatVersion));
    }
    try {
        info.config = config_from_json(metadata_json(file, "config"));
        info.config.validate();
        const json state = metadata_json(file, "state");
        info.model_seed = state.at("model_seed").get<std::uint64_t>();
        info.adam_step = state.at("adam_step").get<std::int64_t>();
        info.noise = {state.at("noise_training").get<std::uint64_t>(),
                      state.at("noise_samples").get<std::uint64_t>()};
        info.trainer.batch_size = state.at("batch_size").get<std::size_t>();
        info.trainer.seed = state.at("data_seed").get<std::uint64_t>();
        info.trainer.limit = state.at("limit").get<std::size_t>();
        info.progress.epochs_done = state.at("epochs_done").get<int>();
        info.progress.next_batch = state.at("next_batch").get<std::size_t>();
        info.progress.sums = loss_from_json(state.at("epoch_sums"));
        info.progress.images = state.at("epoch_images").get<std::size_t>();
        info.progress.train_seconds = state.at("epoch_train_seconds").get<double>();
        info.progress.stall_seconds = state.at("epoch_stall_seconds").get<double>();
        const json dataset = metadata_json(file, "dataset");
        info.dataset = dataset.at("name").get<std::string>();
        info.data_dir = dataset.at("dir").get<std::string>();
        info.train_count = dataset.at("train_count").get<std::size_t>();
    } catch (const json::exception& e) {
        throw CheckpointError(path,
                              fmt::format("metadata is incomplete or mistyped ({})", e.what()));
    } catch (const ConfigError& e) {
        throw CheckpointError(path, fmt::format("holds an unusable configuration: {}", e.what()));
    }
    if (info.adam_step < 0 || info.trainer.batch_size == 0 || info.progress.epochs_done < 0) {
        throw CheckpointError(path,
                              "metadata 'state' holds a negative step or epoch, or batch size 0");
    }

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
            throw CheckpointError(path,
                                  fmt::format("tensor '{}' is not part of this model", t.name));
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
