#include "engine/param_arena.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace vaednn::detail {
namespace {
// Each tensor starts on a cache line (16 floats), which vector loads and oneDNN prefer.
constexpr std::size_t kAlignFloats = 16;
}  // namespace

void ParamArena::FreeDeleter::operator()(float* p) const noexcept {
    std::free(p);
}

ParamArena::Buffer ParamArena::allocate_buffer(std::size_t floats) {
    // aligned_alloc wants a size that is a multiple of the alignment.
    const std::size_t padded =
        (std::max<std::size_t>(floats, 1) + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    const std::size_t bytes = padded * sizeof(float);
    void* raw = std::aligned_alloc(kAlignFloats * sizeof(float), bytes);
    if (raw == nullptr) throw std::bad_alloc();
    std::memset(raw, 0, bytes);
    return Buffer(static_cast<float*>(raw));
}

ParamArena::Id ParamArena::declare(std::string name, std::vector<std::int64_t> shape,
                                   dnnl::memory::desc user_desc, dnnl::memory::desc arena_desc,
                                   float init_bound, bool pad_after) {
    if (weight_data_) throw std::logic_error("ParamArena::declare after allocate");
    ParamSlot slot{std::move(name), std::move(shape), user_desc, arena_desc, floats_, init_bound};
    // Padding rounds the running offset, so the next tensor starts on a cache line even after
    // tensors declared back to back.
    floats_ += arena_desc.get_size() / sizeof(float);
    if (pad_after) floats_ = (floats_ + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    slots_.push_back(std::move(slot));
    return slots_.size() - 1;
}

void ParamArena::allocate(const dnnl::engine& engine) {
    weight_data_ = allocate_buffer(floats_);
    grad_data_ = allocate_buffer(floats_);
    m_data_ = allocate_buffer(floats_);
    v_data_ = allocate_buffer(floats_);
    for (const ParamSlot& slot : slots_) {
        weights_.emplace_back(slot.arena_desc, engine, weight_data_.get() + slot.offset);
        grads_.emplace_back(slot.arena_desc, engine, grad_data_.get() + slot.offset);
    }
}

}  // namespace vaednn::detail
