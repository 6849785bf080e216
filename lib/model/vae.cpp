// The VAE: its layers, and the forward and backward graphs that one training step replays.
// build_graph() below reads as the model itself: encoder, sample, decoder, loss, then the
// backward pass in reverse, then Adam. Evaluation, encoding and decoding run an inference graph
// built by the same function up to the loss.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "engine/builder.hpp"
#include "engine/graph.hpp"
#include "engine/param_arena.hpp"
#include "model/kernels.hpp"
#include "model/vae_access.hpp"
#include "nn/deconv.hpp"
#include "nn/dense.hpp"
#include "nn/lstm.hpp"
#include "optim/adam.hpp"
#include "runtime/denormals.hpp"
#include "vaednn/error.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

using namespace detail;

namespace {

float* data_of(const memory& m) {
    return static_cast<float*>(m.get_data_handle());
}

// One graph for one batch size: a training graph (forward, loss, backward, Adam) or an inference
// graph (forward and loss, from forward_inference primitives), and the tensors our own kernels
// and the entry points touch. Its sections are the entry points: "encoder", "sample", "decoder",
// "loss", then in training "backward" and "optimizer".
struct ModelGraph {
    std::size_t batch = 0;
    Pass pass = Pass::training;
    Graph graph;

    memory images;       // {N, rows, cols}: the batch, read by the LSTM and by the loss
    memory mu_logvar;    // {N, 2Z}: [mu | logvar] per image
    memory eps;          // {N, Z}
    memory z;            // {N, Z}
    memory logits;       // {N, 1, rows, cols}
    memory dlogits;      // {N, 1, rows, cols}, training only
    memory dz;           // {N, Z}, training only
    memory d_mu_logvar;  // {N, 2Z}, training only
    std::vector<double> recon_per_image, kl_per_image;
    LossSums sums;
    NodeTimes times;
};

// Each layer's forward algorithm is the one measured fastest for its shape.
Deconv make_deconv(std::string name, std::string torch_name, DeconvShape shape, bool relu) {
    return Deconv(std::move(name), std::move(torch_name), shape, relu,
                  choose_deconv_forward(shape));
}

// x - x is 0 for every finite x and NaN for NaN and both infinities, and a sum keeps a NaN. Lanes
// of independent sums let the compiler vectorise without reassociating: a few microseconds for
// the default model, cheap enough to run after every update.
bool all_finite(std::span<const float> values) noexcept {
    constexpr std::size_t kLanes = 16;
    std::array<float, kLanes> poison{};
    std::size_t i = 0;
    for (; i + kLanes <= values.size(); i += kLanes) {
        for (std::size_t lane = 0; lane < kLanes; ++lane) {
            poison[lane] += values[i + lane] - values[i + lane];
        }
    }
    float total = 0.0f;
    for (; i < values.size(); ++i) total += values[i] - values[i];
    for (const float p : poison) total += p;
    return total == 0.0f;
}

}  // namespace

struct Vae::Impl {
    VaeConfig config;
    std::uint64_t seed;
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};

    ParamArena params;
    Lstm lstm;
    Dense heads;  // encoder.fc_mu and encoder.fc_logvar as one primitive
    Dense decoder_fc;
    Deconv deconv1, deconv2, deconv3;

    std::int64_t step = 0;
    std::uint64_t noise_draws = 0;
    std::uint64_t sample_draws = 0;
    std::vector<float> fixed_eps;
    bool use_fixed_eps = false;
    bool profiling = false;
    // The share of a split batch the graph that runs next holds (see BatchShare), and what sums
    // the gradients across processes.
    BatchShare share;
    std::function<void(std::span<float>)> gradient_reducer;
    // Graphs by batch size. All of them place their activations in one arena, since only one
    // runs at a time.
    std::map<std::size_t, std::unique_ptr<ModelGraph>> training_graphs, inference_graphs;
    SharedArena arena;

    Impl(const VaeConfig& c, std::uint64_t s, ComputeOptions compute);
    ModelGraph& graph_for(std::size_t batch, Pass pass);
    void build_graph(ModelGraph& g);
    ModelGraph& load_batch(std::span<const float> images, Pass pass);
    LossTerms loss_terms(const ModelGraph& g) const;
    std::size_t batch_total(const ModelGraph& g) const {
        return share.total == 0 ? g.batch : share.total;
    }
    void reduce_gradients();
    void update();
    void skip_batch(Pass pass);
    // Runs `run` as this process's share `part` of a split batch: the share steers the noise and
    // the loss's scale while it runs and is cleared after, whatever happens; a process whose share
    // holds no image keeps step with the others instead.
    template <typename Run>
    LossTerms run_share(std::span<const float> images, const BatchShare& part, Pass pass, Run run) {
        if (images.empty() && part.total > 0) {
            skip_batch(pass);
            return {};
        }
        share = part;
        struct Clear {
            BatchShare& share;
            ~Clear() { share = {}; }
        } clear{share};
        return run();
    }
    void initialise_parameters();
    void copy_between(const memory& from, const memory& to);
    enum class Arena { weights, gradients, first_moments, second_moments };
    memory arena_memory(Arena which, std::size_t id);
    std::vector<Tensor> export_arena(Arena which, const std::string& prefix);
    void check_tensors(const std::vector<Tensor>& tensors, const std::string& prefix,
                       std::unordered_map<std::string, const Tensor*>& by_name) const;
    void import_arena(Arena which, const std::string& prefix,
                      const std::unordered_map<std::string, const Tensor*>& by_name);

    int latent() const { return config.latent; }
    int base_side() const { return config.image_rows / 4; }
};

Vae::Impl::Impl(const VaeConfig& c, std::uint64_t s, ComputeOptions compute)
    : config(c),
      seed(s),
      lstm("lstm", "encoder.lstm", c.image_rows, c.image_cols, c.hidden, compute.lstm),
      heads("heads", {"encoder.fc_mu", "encoder.fc_logvar"}, c.hidden, 2 * c.latent, false),
      decoder_fc("decoder_fc", {"decoder.fc"}, c.latent,
                 c.decoder_channels[0] * (c.image_rows / 4) * (c.image_cols / 4), true),
      deconv1(make_deconv(
          "deconv1", "decoder.deconv1",
          {c.decoder_channels[0], c.decoder_channels[1], 3, 2, 1, 1, c.image_rows / 4}, true)),
      deconv2(make_deconv(
          "deconv2", "decoder.deconv2",
          {c.decoder_channels[1], c.decoder_channels[2], 3, 2, 1, 1, c.image_rows / 2}, true)),
      deconv3(make_deconv("deconv3", "decoder.deconv3",
                          {c.decoder_channels[2], 1, 3, 1, 1, 0, c.image_rows}, false)) {
    // Declaration order is the parameter order of the PyTorch twin's state_dict.
    lstm.declare(params, engine, c.reference_batch);
    heads.declare(params, engine, c.reference_batch);
    decoder_fc.declare(params, engine, c.reference_batch);
    deconv1.declare(params, engine, c.reference_batch);
    deconv2.declare(params, engine, c.reference_batch);
    deconv3.declare(params, engine, c.reference_batch);
    params.allocate(engine);

    lstm.bind(params, engine);
    heads.bind(params, engine);
    decoder_fc.bind(params, engine);
    deconv1.bind(params, engine);
    deconv2.bind(params, engine);
    deconv3.bind(params, engine);
    initialise_parameters();
}

void Vae::Impl::build_graph(ModelGraph& g) {
    const auto n = static_cast<memory::dim>(g.batch);
    const memory::dim rows = config.image_rows, cols = config.image_cols;
    const memory::dim z_dim = latent(), hidden = config.hidden;
    const memory::dim c0 = config.decoder_channels[0], side0 = base_side();
    const Pass pass = g.pass;
    GraphBuilder b(engine, g.graph);

    // ---------------------------------------------------------------- encoder
    b.section("encoder");
    // The batch as the user holds it, [N][rows][cols], is the LSTM's {T, N, C} in ntc order.
    g.images = b.make(plain_desc({rows, n, cols}, Tag::ntc));
    b.pin(g.images);  // filled before every run
    const memory src_layer = b.to_layout("input.to_tnc", Phase::forward, g.images,
                                         plain_desc({rows, n, cols}, Tag::tnc));
    // {T, N, C} -> {T, N, H}
    const Lstm::Tape lstm_tape = lstm.forward(b, src_layer, pass);
    // h_T, the last step's hidden state, is the last {N, H} slice of dst_layer.
    const std::size_t last_step_offset =
        static_cast<std::size_t>((rows - 1) * n * hidden) * sizeof(float);
    const memory h_last =
        b.view(lstm_tape.dst_layer, plain_desc({n, hidden}, Tag::nc), last_step_offset);
    // {N, H} -> {N, 2Z}
    const Dense::Tape heads_tape = heads.forward(b, h_last, pass);
    g.mu_logvar = b.to_layout("heads.to_nc", Phase::forward, heads_tape.dst,
                              plain_desc({n, 2 * z_dim}, Tag::nc));
    b.pin(g.mu_logvar);  // encode() reads it after its run

    // ---------------------------------------------------------------- sample
    b.section("sample");
    g.eps = b.make(plain_desc({n, z_dim}, Tag::nc));
    g.z = b.make(plain_desc({n, z_dim}, Tag::nc));
    b.pin(g.z);  // decode() fills it before its run
    // evaluate() draws from the training stream too: a resumed run replays the same draws.
    b.add_kernel("sample.noise", Phase::forward, {g.eps}, [this, &g] {
        float* eps = data_of(g.eps);
        const std::size_t count = g.batch * static_cast<std::size_t>(latent());
        if (use_fixed_eps) {
            std::memcpy(eps, fixed_eps.data(), count * sizeof(float));
        } else if (share.first == 0) {
            standard_normal(seed, noise_draws++, eps, count);
        } else {
            standard_normal(seed, noise_draws++, share.first * static_cast<std::size_t>(latent()),
                            eps, count);
        }
    });
    b.add_kernel("sample.reparameterize", Phase::forward, {g.mu_logvar, g.eps, g.z}, [this, &g] {
        // z = mu + exp(logvar / 2) * eps           {N, 2Z}, {N, Z} -> {N, Z}
        reparameterize_forward(data_of(g.mu_logvar), data_of(g.eps), data_of(g.z), g.batch,
                               static_cast<std::size_t>(latent()));
    });

    // ---------------------------------------------------------------- decoder
    b.section("decoder");
    // {N, Z} -> {N, c0 * s * s}, ReLU; seen as {N, c0, s, s}
    const Dense::Tape fc_tape = decoder_fc.forward(b, g.z, pass);
    const memory fc_out = b.to_layout("decoder_fc.to_nc", Phase::forward, fc_tape.dst,
                                      plain_desc({n, c0 * side0 * side0}, Tag::nc));
    const memory fc_image = b.view(fc_out, plain_desc({n, c0, side0, side0}, Tag::nchw));
    // {N, c0, s, s} -> {N, c1, 2s, 2s}, ReLU
    const Deconv::Tape deconv1_tape = deconv1.forward(b, fc_image, pass);
    // {N, c1, 2s, 2s} -> {N, c2, 4s, 4s}, ReLU
    const Deconv::Tape deconv2_tape = deconv2.forward(b, deconv1_tape.dst, pass);
    // {N, c2, 4s, 4s} -> {N, 1, rows, cols} logits, plain: the loss reads them
    const Deconv::Tape deconv3_tape = deconv3.forward(b, deconv2_tape.dst, pass);
    g.logits = deconv3_tape.dst;
    b.pin(g.logits);  // decode() reads them after its run

    // ---------------------------------------------------------------- loss
    b.section("loss");
    const bool training = pass == Pass::training;
    if (training) g.dlogits = b.make(plain_desc({n, 1, rows, cols}, Tag::nchw));
    g.recon_per_image.assign(g.batch, 0.0);
    g.kl_per_image.assign(g.batch, 0.0);
    const LossKind kind =
        config.likelihood == Likelihood::bernoulli ? LossKind::bernoulli : LossKind::gaussian;
    b.add_kernel(
        "loss.elbo", Phase::loss, {g.logits, g.images, g.mu_logvar, g.dlogits}, [this, &g, kind] {
            g.sums =
                elbo_loss(kind, data_of(g.logits), data_of(g.images), data_of(g.mu_logvar),
                          g.dlogits ? data_of(g.dlogits) : nullptr, g.recon_per_image.data(),
                          g.kl_per_image.data(), g.batch, static_cast<std::size_t>(config.pixels()),
                          static_cast<std::size_t>(latent()), batch_total(g));
        });
    if (!training) {
        b.finish(arena);
        return;
    }

    // ---------------------------------------------------------------- backward
    b.section("backward");
    // {N, 1, rows, cols} -> {N, c2, 4s, 4s} -> {N, c1, 2s, 2s} -> {N, c0, s, s}
    const memory d2 = deconv3.backward(b, deconv3_tape, g.dlogits, InputGradient::new_tensor());
    const memory d1 = deconv2.backward(b, deconv2_tape, d2, InputGradient::new_tensor());
    const memory d_fc_image = b.make(fc_image.get_desc());
    deconv1.backward(b, deconv1_tape, d1, InputGradient::into_tensor(d_fc_image));
    const memory d_fc_out = b.view(d_fc_image, fc_out.get_desc());
    // {N, c0 s s} -> {N, Z}
    g.dz = b.make(plain_desc({n, z_dim}, Tag::nc));
    decoder_fc.backward(b, fc_tape, d_fc_out, InputGradient::into_tensor(g.dz));
    // Through z = mu + sigma * eps, plus the KL term's own gradient.   {N, Z} -> {N, 2Z}
    g.d_mu_logvar = b.make(plain_desc({n, 2 * z_dim}, Tag::nc));
    b.add_kernel("sample.backward", Phase::backward, {g.mu_logvar, g.eps, g.dz, g.d_mu_logvar},
                 [this, &g] {
                     reparameterize_backward(data_of(g.mu_logvar), data_of(g.eps), data_of(g.dz),
                                             data_of(g.d_mu_logvar), g.batch,
                                             static_cast<std::size_t>(latent()),
                                             1.0f / static_cast<float>(batch_total(g)));
                 });
    // Only h_T feeds the heads, so the LSTM's output gradient is zero but for the last step,
    // which the heads' backward-data writes in place. The zeros are written every step: the
    // tensor shares its bytes with others between its uses.      {N, 2Z} -> {N, H} (slice T-1)
    const memory diff_dst_layer = b.make(lstm_tape.dst_layer.get_desc());
    b.add_kernel("lstm.zero_diff_dst", Phase::backward, {diff_dst_layer},
                 [diff_dst_layer, last_step_offset] {
                     std::memset(diff_dst_layer.get_data_handle(), 0, last_step_offset);
                 });
    const memory d_h_last = b.view(diff_dst_layer, h_last.get_desc(), last_step_offset);
    heads.backward(b, heads_tape, g.d_mu_logvar, InputGradient::into_tensor(d_h_last));
    // {T, N, H} -> weight gradients; the images need no gradient
    lstm.backward(b, lstm_tape, diff_dst_layer, InputGradient::none());

    // ---------------------------------------------------------------- communication
    // Data-parallel: every process's gradient of its share, summed into the whole batch's.
    b.section("communication");
    b.add_kernel("gradients.allreduce", Phase::communication, {}, [this] { reduce_gradients(); });

    // ---------------------------------------------------------------- optimizer
    b.section("optimizer");
    b.add_kernel("adam", Phase::optimizer, {}, [this] { update(); });
    b.finish(arena);
}

void Vae::Impl::reduce_gradients() {
    if (gradient_reducer) gradient_reducer(params.grads());
}

void Vae::Impl::update() {
    adam_update(config.adam, ++step, params.weights(), params.grads(), params.first_moments(),
                params.second_moments());
}

// A process whose share of a split batch holds no image (a last batch smaller than the process
// count): it keeps step with the others, drawing no noise of its own but advancing the stream,
// and in training adding a zero gradient to the sum and taking the same Adam step.
void Vae::Impl::skip_batch(Pass pass) {
    if (!use_fixed_eps) ++noise_draws;
    if (pass == Pass::inference) return;
    const std::span<float> grads = params.grads();
    std::fill(grads.begin(), grads.end(), 0.0f);
    reduce_gradients();
    update();
}

ModelGraph& Vae::Impl::graph_for(std::size_t batch, Pass pass) {
    auto& slot = (pass == Pass::training ? training_graphs : inference_graphs)[batch];
    if (!slot) {
        auto g = std::make_unique<ModelGraph>();
        g->batch = batch;
        g->pass = pass;
        build_graph(*g);
        slot = std::move(g);
    }
    return *slot;
}

ModelGraph& Vae::Impl::load_batch(std::span<const float> images, Pass pass) {
    const auto pixels = static_cast<std::size_t>(config.pixels());
    if (images.empty() || images.size() % pixels != 0) {
        throw ConfigError(fmt::format("a batch must hold whole {}x{} images: got {} floats",
                                      config.image_rows, config.image_cols, images.size()));
    }
    const std::size_t batch = images.size() / pixels;
    if (use_fixed_eps && fixed_eps.size() != batch * static_cast<std::size_t>(latent())) {
        throw ConfigError(fmt::format("fixed noise holds {} values but a batch of {} needs {}",
                                      fixed_eps.size(), batch,
                                      batch * static_cast<std::size_t>(latent())));
    }
    ModelGraph& g = graph_for(batch, pass);
    std::memcpy(g.images.get_data_handle(), images.data(), images.size_bytes());
    return g;
}

LossTerms Vae::Impl::loss_terms(const ModelGraph& g) const {
    const double n = static_cast<double>(g.batch);
    LossTerms terms;
    terms.reconstruction = g.sums.reconstruction / n;
    terms.kl = g.sums.kl / n;
    terms.loss = terms.reconstruction + terms.kl;
    return terms;
}

void Vae::Impl::copy_between(const memory& from, const memory& to) {
    dnnl::reorder(from, to).execute(stream, const_cast<memory&>(from), const_cast<memory&>(to));
    stream.wait();
}

void Vae::Impl::initialise_parameters() {
    // PyTorch's default initialisation, U(-bound, bound), from a counter-based stream per tensor.
    for (std::size_t id = 0; id < params.slots().size(); ++id) {
        const ParamSlot& slot = params.slot(id);
        std::vector<float> values(slot.user_desc.get_size() / sizeof(float));
        standard_normal(seed ^ 0x5EEDull, id, values.data(), values.size());
        for (float& v : values) {
            // Normal -> uniform through its CDF keeps one generator for the whole library.
            const float u = 0.5f * std::erfc(-v / std::sqrt(2.0f));
            v = (2.0f * u - 1.0f) * slot.init_bound;
        }
        copy_between(memory(slot.user_desc, engine, values.data()), params.weight(id));
    }
}

memory Vae::Impl::arena_memory(Arena which, std::size_t id) {
    switch (which) {
        case Arena::weights:
            return params.weight(id);
        case Arena::gradients:
            return params.grad(id);
        case Arena::first_moments:
            return params.first_moment(id, engine);
        case Arena::second_moments:
            return params.second_moment(id, engine);
    }
    throw std::logic_error("unknown arena");
}

std::vector<Tensor> Vae::Impl::export_arena(Arena which, const std::string& prefix) {
    std::vector<Tensor> out;
    for (std::size_t id = 0; id < params.slots().size(); ++id) {
        const ParamSlot& slot = params.slot(id);
        Tensor t{prefix + slot.name, slot.shape,
                 std::vector<float>(slot.user_desc.get_size() / sizeof(float))};
        copy_between(arena_memory(which, id), memory(slot.user_desc, engine, t.values.data()));
        out.push_back(std::move(t));
    }
    return out;
}

void Vae::Impl::check_tensors(const std::vector<Tensor>& tensors, const std::string& prefix,
                              std::unordered_map<std::string, const Tensor*>& by_name) const {
    for (const Tensor& t : tensors) by_name[t.name] = &t;
    for (const ParamSlot& slot : params.slots()) {
        const auto it = by_name.find(prefix + slot.name);
        if (it == by_name.end()) {
            throw ConfigError(fmt::format("tensor {}{} is missing", prefix, slot.name));
        }
        if (it->second->shape != slot.shape ||
            it->second->values.size() * sizeof(float) != slot.user_desc.get_size()) {
            throw ConfigError(fmt::format("tensor {}{} has shape [{}], expected [{}]", prefix,
                                          slot.name, fmt::join(it->second->shape, ", "),
                                          fmt::join(slot.shape, ", ")));
        }
    }
}

void Vae::Impl::import_arena(Arena which, const std::string& prefix,
                             const std::unordered_map<std::string, const Tensor*>& by_name) {
    for (std::size_t id = 0; id < params.slots().size(); ++id) {
        const ParamSlot& slot = params.slot(id);
        auto& values = const_cast<std::vector<float>&>(by_name.at(prefix + slot.name)->values);
        copy_between(memory(slot.user_desc, engine, values.data()), arena_memory(which, id));
    }
}

// ------------------------------------------------------------------------------- public API

Vae::Vae(const VaeConfig& config, std::uint64_t seed, ComputeOptions compute) {
    config.validate();
    enable_flush_to_zero_for_team();
    impl_ = std::make_unique<Impl>(config, seed, compute);
}
Vae::~Vae() = default;
Vae::Vae(Vae&&) noexcept = default;
Vae& Vae::operator=(Vae&&) noexcept = default;

const VaeConfig& Vae::config() const noexcept {
    return impl_->config;
}

LossTerms Vae::train_step(std::span<const float> images) {
    ModelGraph& g = impl_->load_batch(images, Pass::training);
    g.graph.run(impl_->stream, impl_->profiling ? &g.times : nullptr);
    return impl_->loss_terms(g);
}

LossTerms Vae::train_step(std::span<const float> images, const BatchShare& share) {
    return impl_->run_share(images, share, Pass::training, [&] { return train_step(images); });
}

void Vae::set_gradient_reducer(std::function<void(std::span<float>)> reducer) {
    impl_->gradient_reducer = std::move(reducer);
}

LossTerms Vae::compute_gradients(std::span<const float> images) {
    ModelGraph& g = impl_->load_batch(images, Pass::training);
    g.graph.run(impl_->stream, "encoder", "backward");
    return impl_->loss_terms(g);
}

LossTerms Vae::evaluate(std::span<const float> images) {
    ModelGraph& g = impl_->load_batch(images, Pass::inference);
    g.graph.run(impl_->stream, "encoder", "loss");
    return impl_->loss_terms(g);
}

LossTerms Vae::evaluate(std::span<const float> images, const BatchShare& share) {
    return impl_->run_share(images, share, Pass::inference, [&] { return evaluate(images); });
}

void Vae::encode(std::span<const float> images, std::span<float> mu, std::span<float> logvar) {
    const auto z = static_cast<std::size_t>(impl_->latent());
    const auto per_image = static_cast<std::size_t>(impl_->config.pixels());
    // Checked before a graph is built for a batch size that may never run.
    if (!images.empty() && images.size() % per_image == 0 &&
        (mu.size() != images.size() / per_image * z ||
         logvar.size() != images.size() / per_image * z)) {
        throw ConfigError(fmt::format("encode: mu and logvar must hold {} x {} floats",
                                      images.size() / per_image, z));
    }
    ModelGraph& g = impl_->load_batch(images, Pass::inference);
    g.graph.run(impl_->stream, "encoder");
    const float* mu_logvar = data_of(g.mu_logvar);
    for (std::size_t i = 0; i < g.batch; ++i) {
        std::copy_n(mu_logvar + i * 2 * z, z, mu.data() + i * z);
        std::copy_n(mu_logvar + i * 2 * z + z, z, logvar.data() + i * z);
    }
}

void Vae::decode(std::span<const float> z, std::span<float> pixels) {
    const auto latent = static_cast<std::size_t>(impl_->latent());
    const auto per_image = static_cast<std::size_t>(impl_->config.pixels());
    if (z.empty() || z.size() % latent != 0 || pixels.size() != z.size() / latent * per_image) {
        throw ConfigError(
            fmt::format("decode: z must hold N x {} floats and pixels N x {}", latent, per_image));
    }
    ModelGraph& g = impl_->graph_for(z.size() / latent, Pass::inference);
    std::memcpy(g.z.get_data_handle(), z.data(), z.size_bytes());
    g.graph.run(impl_->stream, "decoder");
    const float* logits = data_of(g.logits);
    const bool bernoulli = impl_->config.likelihood == Likelihood::bernoulli;
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        pixels[i] = bernoulli ? 1.0f / (1.0f + std::exp(-logits[i])) : logits[i];
    }
}

void Vae::decode_logits(std::span<const float> z, std::span<float> logits) {
    const auto latent = static_cast<std::size_t>(impl_->latent());
    const auto per_image = static_cast<std::size_t>(impl_->config.pixels());
    if (z.empty() || z.size() % latent != 0 || logits.size() != z.size() / latent * per_image) {
        throw ConfigError(fmt::format("decode_logits: z must hold N x {} floats and logits N x {}",
                                      latent, per_image));
    }
    ModelGraph& g = impl_->graph_for(z.size() / latent, Pass::inference);
    std::memcpy(g.z.get_data_handle(), z.data(), z.size_bytes());
    g.graph.run(impl_->stream, "decoder");
    std::memcpy(logits.data(), g.logits.get_data_handle(), logits.size_bytes());
}

void Vae::sample(std::span<float> pixels) {
    const auto per_image = static_cast<std::size_t>(impl_->config.pixels());
    if (pixels.empty() || pixels.size() % per_image != 0) {
        throw ConfigError(fmt::format("sample: pixels must hold N x {} floats", per_image));
    }
    std::vector<float> z(pixels.size() / per_image * static_cast<std::size_t>(impl_->latent()));
    // Prior draws come from their own stream, so sampling never shifts the training noise.
    standard_normal(impl_->seed ^ 0x9E3779B97F4A7C15ull, impl_->sample_draws++, z.data(), z.size());
    decode(z, pixels);
}

void Vae::use_fixed_noise(std::span<const float> eps) {
    impl_->fixed_eps.assign(eps.begin(), eps.end());
    impl_->use_fixed_eps = true;
}

void Vae::use_random_noise() {
    impl_->use_fixed_eps = false;
}

bool Vae::state_is_finite() const noexcept {
    ParamArena& arena = impl_->params;
    return all_finite(arena.weights()) && all_finite(arena.first_moments()) &&
           all_finite(arena.second_moments());
}

std::vector<Tensor> Vae::parameters() const {
    return impl_->export_arena(Impl::Arena::weights, "");
}
std::vector<Tensor> Vae::gradients() const {
    return impl_->export_arena(Impl::Arena::gradients, "");
}

void Vae::set_parameters(const std::vector<Tensor>& tensors) {
    // Everything is checked before anything changes.
    std::unordered_map<std::string, const Tensor*> by_name;
    impl_->check_tensors(tensors, "", by_name);
    impl_->import_arena(Impl::Arena::weights, "", by_name);
}

std::vector<Tensor> Vae::adam_moments() const {
    std::vector<Tensor> out = impl_->export_arena(Impl::Arena::first_moments, "adam.m.");
    std::vector<Tensor> second = impl_->export_arena(Impl::Arena::second_moments, "adam.v.");
    out.insert(out.end(), std::make_move_iterator(second.begin()),
               std::make_move_iterator(second.end()));
    return out;
}

void Vae::set_adam_state(const std::vector<Tensor>& moments, std::int64_t step) {
    if (step < 0) throw ConfigError(fmt::format("Adam step {} is negative", step));
    std::unordered_map<std::string, const Tensor*> by_name;
    impl_->check_tensors(moments, "adam.m.", by_name);
    impl_->check_tensors(moments, "adam.v.", by_name);
    impl_->import_arena(Impl::Arena::first_moments, "adam.m.", by_name);
    impl_->import_arena(Impl::Arena::second_moments, "adam.v.", by_name);
    impl_->step = step;
}

std::uint64_t Vae::seed() const noexcept {
    return impl_->seed;
}

Vae::NoiseState Vae::noise_state() const noexcept {
    return {impl_->noise_draws, impl_->sample_draws};
}

void Vae::set_noise_state(const NoiseState& state) noexcept {
    impl_->noise_draws = state.training;
    impl_->sample_draws = state.samples;
}

std::int64_t Vae::optimizer_steps() const noexcept {
    return impl_->step;
}

std::size_t Vae::parameter_count() const noexcept {
    std::size_t count = 0;
    for (const ParamSlot& slot : impl_->params.slots())
        count += slot.user_desc.get_size() / sizeof(float);
    return count;
}

void Vae::set_profiling(bool on) {
    impl_->profiling = on;
}

std::vector<NodeTiming> Vae::node_timings(std::size_t batch) const {
    std::vector<NodeTiming> out;
    const auto it = impl_->training_graphs.find(batch);
    if (it == impl_->training_graphs.end()) return out;
    const ModelGraph& g = *it->second;
    const auto& nodes = g.graph.nodes();
    const std::vector<double> medians = g.times.medians();
    const auto timed = static_cast<double>(g.times.timed_runs());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const bool measured = i < g.times.totals.size() && timed > 0.0;
        out.push_back({nodes[i].name, phase_name(nodes[i].phase), nodes[i].implementation,
                       nodes[i].layout, measured ? g.times.totals[i] / timed : 0.0,
                       measured ? medians[i] : 0.0});
    }
    return out;
}

const detail::Graph& detail::VaeAccess::step_graph(Vae& vae, std::size_t batch) {
    return vae.impl_->graph_for(batch, Pass::training).graph;
}

const detail::Graph& detail::VaeAccess::inference_graph(Vae& vae, std::size_t batch) {
    return vae.impl_->graph_for(batch, Pass::inference).graph;
}

std::size_t detail::VaeAccess::training_graphs(const Vae& vae) {
    return vae.impl_->training_graphs.size();
}

std::size_t detail::VaeAccess::arena_bytes(const Vae& vae) {
    return vae.impl_->arena.bytes();
}

dnnl::stream& detail::VaeAccess::stream(Vae& vae) {
    return vae.impl_->stream;
}

}  // namespace vaednn
