// The model's configuration. The defaults are the seed model: LSTM 28->256 over 28 rows, heads
// 256->20, decoder 20->32x7x7 -> deconv 64 -> deconv 32 -> deconv 1, Bernoulli logits, Adam 1e-3.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "vaednn/export.hpp"

namespace vaednn {

enum class Likelihood {
    bernoulli,  // pixels in [0,1] as Bernoulli probabilities: BCE with logits (the default)
    gaussian,   // pixels as a Gaussian with unit variance around the decoder's output
};

VAEDNN_EXPORT std::string to_string(Likelihood likelihood);
VAEDNN_EXPORT Likelihood likelihood_from_string(const std::string& name);  // throws ConfigError

struct AdamConfig {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-8f;
};

// How the encoder's LSTM is computed. Both compute the same model (checkpoints do not record
// which); they differ in speed and memory (docs/PERFORMANCE.md).
enum class LstmKernel {
    fused,   // GEMMs over all steps at once where the recurrence allows, cell math fused per step
    onednn,  // oneDNN's lstm_forward / lstm_backward (a reference loop for f32 training in 2.6)
};
VAEDNN_EXPORT std::string to_string(LstmKernel kernel);
VAEDNN_EXPORT LstmKernel lstm_kernel_from_string(const std::string& name);  // throws ConfigError

// How a model computes, as opposed to what it is (VaeConfig): not saved in checkpoints.
struct ComputeOptions {
    LstmKernel lstm = LstmKernel::fused;
};

struct VAEDNN_EXPORT VaeConfig {
    int image_rows = 28;  // LSTM steps; the decoder upsamples rows/4 -> rows
    int image_cols = 28;  // LSTM input features per step
    int hidden = 256;     // LSTM hidden size
    int latent = 20;      // size of z
    // Channels of the decoder: the dense layer's output viewed as [c0, rows/4, cols/4], then
    // deconvolutions c0 -> c1 (x2), c1 -> c2 (x2), c2 -> 1.
    std::array<int, 3> decoder_channels = {32, 64, 32};
    Likelihood likelihood = Likelihood::bernoulli;
    AdamConfig adam;
    // The batch size weight layouts are chosen for; any batch size can be run.
    int reference_batch = 128;

    // Throws ConfigError naming the first field that cannot work.
    void validate() const;
    int pixels() const { return image_rows * image_cols; }
};

}  // namespace vaednn
