// The variational autoencoder: an LSTM encoder over the image's rows, mu and log-variance heads,
// a reparameterised sample, and a dense + transposed-convolution decoder, trained with Adam on
// oneDNN primitives. Forward and backward graphs are built once per batch size and replayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vaednn/config.hpp"

namespace vaednn {

namespace detail {
struct VaeAccess;  // bench_vae's in-tree view of the training graph
}

// A named tensor in PyTorch's layout (row-major, PyTorch's shape and parameter name).
struct Tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

// The negative ELBO of a batch, in nats per image (sums over pixels and latent dimensions,
// mean over images).
struct LossTerms {
    double loss = 0.0;            // reconstruction + kl
    double reconstruction = 0.0;  // -E[log p(x|z)]
    double kl = 0.0;              // KL(q(z|x) || N(0, I))
};

// A process's part of a batch that several processes share (data-parallel training): it holds
// images [first, first + its count) of a batch of `total` images. The default is the whole batch.
struct BatchShare {
    std::size_t first = 0;
    std::size_t total = 0;  // 0: the process holds the whole batch
};

// Per-node timing of the training step, when profiling is on.
struct NodeTiming {
    std::string name;            // e.g. "deconv2.backward_weights"
    std::string phase;           // forward, loss, backward, optimizer
    std::string implementation;  // oneDNN's implementation, or "vaednn"
    // Memory layouts read and written, in oneDNN's notation ("aBcd16b" is nChw16c, "acdb" nhwc;
    // a backward-weights node shows its diff_weights); empty for our own kernels.
    std::string layout;
    // Over the profiled steps after the first (the warm-up the step statistics leave out too);
    // the median over the most recent 1,024 of them.
    double mean_seconds = 0.0;
    double median_seconds = 0.0;
};

// The parameters a configuration has, by PyTorch name and shape, in the PyTorch twin's order.
// Pure arithmetic: nothing is allocated but the list.
struct ParameterShape {
    std::string name;
    std::vector<std::int64_t> shape;
};
VAEDNN_EXPORT std::vector<ParameterShape> parameter_shapes(const VaeConfig& config);

class VAEDNN_EXPORT Vae {
  public:
    // A model with PyTorch's default initialisation, drawn from `seed`.
    explicit Vae(const VaeConfig& config, std::uint64_t seed = 0, ComputeOptions compute = {});
    ~Vae();
    Vae(Vae&&) noexcept;
    Vae& operator=(Vae&&) noexcept;

    const VaeConfig& config() const noexcept;

    // One training step on `images` (N x rows x cols floats in [0, 1], N = images.size() /
    // pixels): forward, loss, backward, Adam. Returns the batch's loss before the update.
    LossTerms train_step(std::span<const float> images);
    // One process's share of a training step on a batch split across processes: the noise drawn
    // for images [share.first, share.first + N) of the whole batch, the gradients of the mean
    // over share.total images (so that the processes' gradients add up to the whole batch's), the
    // gradient reducer (set_gradient_reducer), then Adam. `images` may be empty: the process then
    // adds zero gradients but takes part in the reduction and the update, and its noise stream
    // advances as the others' do. Returns the loss over its own images (zero for none).
    LossTerms train_step(std::span<const float> images, const BatchShare& share);
    // Runs in every train_step between the backward pass and Adam, on the calling thread, with the
    // flat gradient arena (every parameter's gradient, in the layout the model keeps it); a
    // data-parallel run sums it across processes there. It must not allocate. Empty: nothing.
    void set_gradient_reducer(std::function<void(std::span<float>)> reducer);
    // Forward, loss and backward without the update; gradients() then holds the gradients.
    LossTerms compute_gradients(std::span<const float> images);
    // The loss alone (forward pass, no gradients).
    LossTerms evaluate(std::span<const float> images);
    // The loss of a share of a batch split across processes, with the noise of those images of
    // the whole batch; `images` may be empty (zero loss, the noise stream advances).
    LossTerms evaluate(std::span<const float> images, const BatchShare& share);

    // The posterior's parameters: mu and logvar, N x latent each.
    void encode(std::span<const float> images, std::span<float> mu, std::span<float> logvar);
    // Pixel means from latent codes (N x latent): sigmoid(logits) for Bernoulli, the Gaussian's
    // mean otherwise. N x rows x cols.
    void decode(std::span<const float> z, std::span<float> pixels);
    // The decoder's raw outputs from latent codes (N x latent): logits for Bernoulli, the
    // Gaussian's means otherwise. N x rows x cols. Runs the same inference graph as decode().
    void decode_logits(std::span<const float> z, std::span<float> logits);
    // Pixel means of N = pixels.size() / (rows x cols) images decoded from z ~ N(0, I), drawn
    // from the model's seeded generator.
    void sample(std::span<float> pixels);

    // The noise of the reparameterisation. By default each step draws fresh N(0, I) noise from
    // the seed; fixed noise (N x latent, repeated for every step) makes steps reproducible
    // against another implementation.
    void use_fixed_noise(std::span<const float> eps);
    void use_random_noise();

    // Parameters and their latest gradients, named and shaped as in the PyTorch twin
    // (tools/vae_twin.py).
    std::vector<Tensor> parameters() const;
    std::vector<Tensor> gradients() const;
    // Replaces every parameter; each must be present with the right shape (ConfigError if not).
    void set_parameters(const std::vector<Tensor>& tensors);

    // Adam's moments, named "adam.m.<parameter>" and "adam.v.<parameter>", PyTorch's layout.
    std::vector<Tensor> adam_moments() const;
    // Restores the moments and the step count, as a checkpoint saved them (ConfigError when a
    // moment is missing or misshapen; nothing changes then).
    void set_adam_state(const std::vector<Tensor>& moments, std::int64_t step);

    // False when any parameter or Adam moment is NaN or infinite: the model diverged, and
    // nothing of it may be saved.
    bool state_is_finite() const noexcept;

    std::int64_t optimizer_steps() const noexcept;
    std::uint64_t seed() const noexcept;
    // How many noise draws the model has made (training and evaluation, and prior samples):
    // with the seed, the whole state of its random streams.
    struct NoiseState {
        std::uint64_t training = 0;
        std::uint64_t samples = 0;
    };
    NoiseState noise_state() const noexcept;
    void set_noise_state(const NoiseState& state) noexcept;
    std::size_t parameter_count() const noexcept;

    // Per-node timing: while on, every graph node of train_step is timed.
    void set_profiling(bool on);
    // Time per node of the training graph for `batch` (empty if it never ran profiled).
    std::vector<NodeTiming> node_timings(std::size_t batch) const;

  private:
    friend struct detail::VaeAccess;
    struct VAEDNN_NO_EXPORT Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vaednn
