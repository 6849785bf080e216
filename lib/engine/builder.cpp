#include "engine/builder.hpp"

#include <algorithm>
#include <numeric>

namespace vaednn::detail {

namespace {
// oneDNN's kernels prefer cache-line aligned tensors.
constexpr std::size_t kAlignment = 64;
std::size_t aligned(std::size_t bytes) {
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}
}  // namespace

dnnl::primitive_attr GraphBuilder::attributes() {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attr;
}

dnnl::primitive_attr GraphBuilder::attributes_with_relu() {
    dnnl::primitive_attr attr = attributes();
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
    return attr;
}

std::size_t GraphBuilder::new_buffer(std::size_t bytes) {
    buffers_.push_back({aligned(bytes)});
    return buffers_.size() - 1;
}

memory GraphBuilder::make(const memory::desc& desc) {
    memory tensor(desc, engine_, DNNL_MEMORY_NONE);
    planned_index_.emplace(tensor.get(), planned_.size());
    planned_.push_back({tensor, new_buffer(desc.get_size()), 0});
    return tensor;
}

void GraphBuilder::pin(const memory& tensor) {
    const auto it = planned_index_.find(tensor.get());
    if (it != planned_index_.end()) pinned_.push_back(planned_[it->second].buffer);
}

memory GraphBuilder::view(const memory& base, const memory::desc& desc, std::size_t byte_offset) {
    const auto it = planned_index_.find(base.get());
    if (it == planned_index_.end()) {
        // A view does not own its buffer: the graph keeps the base alive for it.
        graph_.keep(base);
        auto* data = static_cast<char*>(base.get_data_handle()) + byte_offset;
        return memory(desc, engine_, data);
    }
    const Planned of = planned_[it->second];
    memory tensor(desc, engine_, DNNL_MEMORY_NONE);
    planned_index_.emplace(tensor.get(), planned_.size());
    planned_.push_back({tensor, of.buffer, of.offset + byte_offset});
    return tensor;
}

void GraphBuilder::touch(const memory& tensor, std::size_t node) {
    if (!tensor) return;  // an optional argument left out
    const auto it = planned_index_.find(tensor.get());
    if (it == planned_index_.end()) return;
    Buffer& buffer = buffers_[planned_[it->second].buffer];
    buffer.first = std::min(buffer.first, node);
    buffer.last = std::max(buffer.last, node);
}

void GraphBuilder::add(std::string name, Phase phase, const dnnl::primitive_desc_base& pd,
                       std::unordered_map<int, memory> args) {
    dnnl::primitive primitive(pd.get());
    count_primitive_creation();
    const memory::desc scratchpad_desc = pd.scratchpad_desc();
    if (scratchpad_desc.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, make(scratchpad_desc));
    for (const auto& [kind, tensor] : args) touch(tensor, graph_.size());
    graph_.add_primitive(std::move(name), phase, std::move(primitive), args, pd.impl_info_str());
}

void GraphBuilder::add_kernel(std::string name, Phase phase, const std::vector<memory>& touched,
                              std::function<void()> kernel) {
    for (const memory& tensor : touched) touch(tensor, graph_.size());
    graph_.add_kernel(std::move(name), phase, std::move(kernel));
}

memory GraphBuilder::to_layout(const std::string& name, Phase phase, const memory& tensor,
                               const memory::desc& wanted) {
    if (tensor.get_desc() == wanted) return tensor;
    memory converted = make(wanted);
    reorder(name, phase, tensor, converted);
    return converted;
}

void GraphBuilder::reorder(const std::string& name, Phase phase, const memory& from,
                           const memory& to) {
    const dnnl::reorder::primitive_desc pd(engine_, from.get_desc(), engine_, to.get_desc(),
                                           attributes());
    add(name, phase, pd, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

memory GraphBuilder::output_for(const memory& target, const memory::desc& produced) {
    return target.get_desc() == produced ? target : make(produced);
}

void GraphBuilder::store(const std::string& name, Phase phase, const memory& written,
                         const memory& target) {
    if (written.get() != target.get()) reorder(name, phase, written, target);
}

void GraphBuilder::plan() {
    // Greedy by size, largest first (as ggml's allocator): each buffer takes the lowest offset
    // where it overlaps no placed buffer that is alive at the same time.
    const std::size_t nodes = graph_.size();
    for (std::size_t b : pinned_) buffers_[b].first = 0, buffers_[b].last = nodes;
    std::vector<std::size_t> order(buffers_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return buffers_[a].bytes > buffers_[b].bytes;
    });
    std::vector<std::size_t> offset(buffers_.size(), 0);
    std::vector<std::size_t> placed;
    std::size_t total = 0;
    for (std::size_t b : order) {
        const Buffer& buffer = buffers_[b];
        if (buffer.first == SIZE_MAX) continue;  // touched by no node: nothing to keep
        std::vector<std::size_t> in_the_way;
        for (std::size_t p : placed) {
            if (buffers_[p].first <= buffer.last && buffer.first <= buffers_[p].last) {
                in_the_way.push_back(p);
            }
        }
        std::sort(in_the_way.begin(), in_the_way.end(),
                  [&](std::size_t x, std::size_t y) { return offset[x] < offset[y]; });
        std::size_t at = 0;
        for (std::size_t p : in_the_way) {
            if (at + buffer.bytes <= offset[p]) break;
            at = std::max(at, offset[p] + buffers_[p].bytes);
        }
        offset[b] = at;
        placed.push_back(b);
        total = std::max(total, at + buffer.bytes);
    }
    std::vector<Placement> placements;
    placements.reserve(planned_.size());
    for (const Planned& p : planned_) {
        placements.push_back({p.tensor, offset[p.buffer] + p.offset, buffers_[p.buffer].bytes});
    }
    graph_.set_plan(total, std::move(placements));
}

void GraphBuilder::finish() {
    plan();
    std::shared_ptr<void> arena = aligned_buffer(graph_.planned_bytes());
    graph_.bind(arena.get());
    graph_.own(std::move(arena));
}

void GraphBuilder::finish(SharedArena& arena) {
    plan();
    arena.attach(graph_);
}

}  // namespace vaednn::detail
