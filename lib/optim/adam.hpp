// Adam (Kingma & Ba), exactly as torch.optim.Adam computes it (no weight decay, no amsgrad),
// over flat arrays: the parameter arena, its gradients and the two moment arenas.
#pragma once

#include <cstdint>
#include <span>

#include "vaednn/config.hpp"

namespace vaednn::detail {

// One update; `step` counts from 1 (the bias corrections use it).
//   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²
//   w -= lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + ε)
void adam_update(const AdamConfig& settings, std::int64_t step, std::span<float> weights,
                 std::span<const float> grads, std::span<float> m, std::span<float> v);

}  // namespace vaednn::detail
