// Every trainable tensor lives in one contiguous arena, in the layout its forward primitive
// chose; the gradients and Adam's two moments are arenas of the same shape, so the optimiser is
// one element-wise pass over four flat arrays whatever the layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <span>
#include <string>
#include <vector>

namespace vaednn::detail {

struct ParamSlot {
    std::string name;                 // PyTorch's parameter name, e.g. "decoder.fc.weight"
    std::vector<std::int64_t> shape;  // PyTorch's shape
    dnnl::memory::desc user_desc;     // the same tensor in PyTorch's layout
    dnnl::memory::desc arena_desc;    // the layout the forward primitive wants
    std::size_t offset = 0;           // in floats, into each arena
    float init_bound = 0.0f;          // PyTorch's default init: U(-bound, bound)
};

class ParamArena {
  public:
    using Id = std::size_t;

    // Declares a parameter; only before allocate(). With `pad_after` false, the next parameter
    // starts right after this one, so two plain tensors can be seen as one (fused heads).
    Id declare(std::string name, std::vector<std::int64_t> shape, dnnl::memory::desc user_desc,
               dnnl::memory::desc arena_desc, float init_bound, bool pad_after = true);
    // Allocates the four arenas, zeroed.
    void allocate(const dnnl::engine& engine);

    const ParamSlot& slot(Id id) const { return slots_.at(id); }
    const std::vector<ParamSlot>& slots() const noexcept { return slots_; }
    std::size_t floats() const noexcept { return floats_; }

    dnnl::memory weight(Id id) const { return weights_.at(id); }
    dnnl::memory grad(Id id) const { return grads_.at(id); }
    // Adam's moments of a parameter, in the same layout as the parameter (for checkpoints).
    dnnl::memory first_moment(Id id, const dnnl::engine& engine) {
        return {slots_.at(id).arena_desc, engine, m_data_.get() + slots_.at(id).offset};
    }
    dnnl::memory second_moment(Id id, const dnnl::engine& engine) {
        return {slots_.at(id).arena_desc, engine, v_data_.get() + slots_.at(id).offset};
    }

    std::span<float> weights() noexcept { return {weight_data_.get(), floats_}; }
    std::span<float> grads() noexcept { return {grad_data_.get(), floats_}; }
    std::span<float> first_moments() noexcept { return {m_data_.get(), floats_}; }
    std::span<float> second_moments() noexcept { return {v_data_.get(), floats_}; }
    std::span<const float> weights() const noexcept { return {weight_data_.get(), floats_}; }
    std::span<const float> grads() const noexcept { return {grad_data_.get(), floats_}; }

  private:
    struct FreeDeleter {
        void operator()(float* p) const noexcept;
    };
    using Buffer = std::unique_ptr<float[], FreeDeleter>;
    static Buffer allocate_buffer(std::size_t floats);

    std::vector<ParamSlot> slots_;
    std::size_t floats_ = 0;
    Buffer weight_data_, grad_data_, m_data_, v_data_;
    std::vector<dnnl::memory> weights_, grads_;
};

}  // namespace vaednn::detail
