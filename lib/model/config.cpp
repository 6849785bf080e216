#include "vaednn/config.hpp"

#include <fmt/format.h>

#include "vaednn/error.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

std::string to_string(Likelihood likelihood) {
    return likelihood == Likelihood::bernoulli ? "bernoulli" : "gaussian";
}

Likelihood likelihood_from_string(const std::string& name) {
    if (name == "bernoulli") return Likelihood::bernoulli;
    if (name == "gaussian") return Likelihood::gaussian;
    throw ConfigError(fmt::format("unknown likelihood '{}'; known: bernoulli, gaussian", name));
}

std::string to_string(LstmKernel kernel) {
    return kernel == LstmKernel::fused ? "fused" : "onednn";
}

LstmKernel lstm_kernel_from_string(const std::string& name) {
    if (name == "fused") return LstmKernel::fused;
    if (name == "onednn") return LstmKernel::onednn;
    throw ConfigError(fmt::format("unknown LSTM kernel '{}'; known: fused, onednn", name));
}

void VaeConfig::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw ConfigError(what);
    };
    require(image_rows > 0 && image_rows % 4 == 0 && image_cols > 0 && image_cols % 4 == 0,
            fmt::format("image size {}x{} must be positive multiples of 4 (the decoder doubles "
                        "rows/4 twice)",
                        image_rows, image_cols));
    require(image_rows <= 1024 && image_cols <= 1024,
            fmt::format("image size {}x{} is larger than 1024x1024", image_rows, image_cols));
    require(image_rows == image_cols,
            fmt::format("image size {}x{} must be square", image_rows, image_cols));
    require(hidden > 0 && hidden <= 8192, fmt::format("hidden size {} is not in 1..8192", hidden));
    require(latent > 0 && latent <= 4096, fmt::format("latent size {} is not in 1..4096", latent));
    for (std::size_t i = 0; i < decoder_channels.size(); ++i) {
        require(decoder_channels[i] > 0 && decoder_channels[i] <= 4096,
                fmt::format("decoder channel count {} (#{}) is not in 1..4096", decoder_channels[i],
                            i + 1));
    }
    require(adam.learning_rate > 0.0f && adam.learning_rate < 10.0f,
            fmt::format("learning rate {} is not in (0, 10)", adam.learning_rate));
    require(adam.beta1 >= 0.0f && adam.beta1 < 1.0f && adam.beta2 >= 0.0f && adam.beta2 < 1.0f,
            "Adam's betas must be in [0, 1)");
    require(adam.epsilon > 0.0f && adam.epsilon < 1.0f, "Adam's epsilon must be in (0, 1)");
    require(reference_batch > 0 && reference_batch <= 65536,
            fmt::format("batch size {} is not in 1..65536", reference_batch));
}

std::vector<ParameterShape> parameter_shapes(const VaeConfig& c) {
    const std::int64_t h = c.hidden, z = c.latent, input = c.image_cols;
    const std::int64_t c0 = c.decoder_channels[0], c1 = c.decoder_channels[1],
                       c2 = c.decoder_channels[2];
    const std::int64_t base = static_cast<std::int64_t>(c.image_rows / 4) * (c.image_cols / 4);
    return {{"encoder.lstm.weight_ih_l0", {4 * h, input}},
            {"encoder.lstm.weight_hh_l0", {4 * h, h}},
            {"encoder.lstm.bias_ih_l0", {4 * h}},
            {"encoder.lstm.bias_hh_l0", {4 * h}},
            {"encoder.fc_mu.weight", {z, h}},
            {"encoder.fc_logvar.weight", {z, h}},
            {"encoder.fc_mu.bias", {z}},
            {"encoder.fc_logvar.bias", {z}},
            {"decoder.fc.weight", {c0 * base, z}},
            {"decoder.fc.bias", {c0 * base}},
            {"decoder.deconv1.weight", {c0, c1, 3, 3}},
            {"decoder.deconv1.bias", {c1}},
            {"decoder.deconv2.weight", {c1, c2, 3, 3}},
            {"decoder.deconv2.bias", {c2}},
            {"decoder.deconv3.weight", {c2, 1, 3, 3}},
            {"decoder.deconv3.bias", {1}}};
}

}  // namespace vaednn
