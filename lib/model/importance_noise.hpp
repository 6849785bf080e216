// The noise of the importance-sampled log-likelihood: eps of sample s of image j is a slice of
// one counter-based stream per image, so it depends on (seed, j, s) alone — not on the chunk
// size, the thread count or which images are evaluated together. tools/vae_twin.py draws the same
// numbers (counter_normals), which lets the twin check vae_eval sample for sample.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/counter_rng.hpp"
#include "model/kernels.hpp"

namespace vaednn::detail {

// Keeps the evaluation's draws apart from the model's training and prior streams.
inline constexpr std::uint64_t kEvaluationStream = 0x1A7E5A3B1E5EEDull;

// eps of samples first_sample .. first_sample + samples - 1 of `image`: samples x latent floats.
inline void importance_noise(std::uint64_t seed, std::uint64_t image, std::uint64_t first_sample,
                             std::size_t samples, std::size_t latent, float* out) {
    standard_normal_slice(mix64(seed ^ kEvaluationStream), image, first_sample * latent, out,
                          samples * latent);
}

}  // namespace vaednn::detail
