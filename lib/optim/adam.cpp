#include "optim/adam.hpp"

#include <cmath>
#include <cstddef>

namespace vaednn::detail {

void adam_update(const AdamConfig& settings, std::int64_t step, std::span<float> weights,
                 std::span<const float> grads, std::span<float> m, std::span<float> v) {
    // The bias corrections in double, as PyTorch computes them on the host.
    const double t = static_cast<double>(step);
    const double correction1 = 1.0 - std::pow(static_cast<double>(settings.beta1), t);
    const double correction2 = 1.0 - std::pow(static_cast<double>(settings.beta2), t);
    const float step_size =
        static_cast<float>(static_cast<double>(settings.learning_rate) / correction1);
    const float sqrt_correction2 = static_cast<float>(std::sqrt(correction2));
    const float beta1 = settings.beta1, beta2 = settings.beta2, epsilon = settings.epsilon;

    float* __restrict w = weights.data();
    const float* __restrict g = grads.data();
    float* __restrict mp = m.data();
    float* __restrict vp = v.data();
    const std::size_t count = weights.size();
#pragma omp parallel for simd schedule(static)
    for (std::size_t i = 0; i < count; ++i) {
        mp[i] = beta1 * mp[i] + (1.0f - beta1) * g[i];
        vp[i] = beta2 * vp[i] + (1.0f - beta2) * g[i] * g[i];
        w[i] -= step_size * mp[i] / (std::sqrt(vp[i]) / sqrt_correction2 + epsilon);
    }
}

}  // namespace vaednn::detail
