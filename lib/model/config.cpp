#include "vaednn/config.hpp"

#include <fmt/format.h>

#include "vaednn/error.hpp"

namespace vaednn {

std::string to_string(Likelihood likelihood) {
    return likelihood == Likelihood::bernoulli ? "bernoulli" : "gaussian";
}

Likelihood likelihood_from_string(const std::string& name) {
    if (name == "bernoulli") return Likelihood::bernoulli;
    if (name == "gaussian") return Likelihood::gaussian;
    throw ConfigError(fmt::format("unknown likelihood '{}'; known: bernoulli, gaussian", name));
}

void VaeConfig::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw ConfigError(what);
    };
    require(image_rows > 0 && image_rows % 4 == 0 && image_cols > 0 && image_cols % 4 == 0,
            fmt::format("image size {}x{} must be positive multiples of 4 (the decoder doubles "
                        "rows/4 twice)",
                        image_rows, image_cols));
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
    require(adam.epsilon > 0.0f, "Adam's epsilon must be positive");
    require(reference_batch > 0 && reference_batch <= 65536,
            fmt::format("batch size {} is not in 1..65536", reference_batch));
}

}  // namespace vaednn
