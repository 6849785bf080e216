#include "engine/builder.hpp"

#include <cstdlib>
#include <memory>
#include <new>

namespace vaednn::detail {

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

memory GraphBuilder::view(const memory& base, const memory::desc& desc, std::size_t byte_offset) {
    // A view does not own its buffer: the graph keeps the base alive for it.
    graph_.keep(base);
    auto* data = static_cast<char*>(base.get_data_handle()) + byte_offset;
    return memory(desc, engine_, data);
}

void GraphBuilder::add(std::string name, Phase phase, const dnnl::primitive_desc_base& pd,
                       std::unordered_map<int, memory> args) {
    dnnl::primitive primitive(pd.get());
    count_primitive_creation();
    const memory::desc scratchpad_desc = pd.scratchpad_desc();
    if (scratchpad_desc.get_size() > 0) {
        // The handle is set in finish(), once the largest request is known.
        memory scratchpad(scratchpad_desc, engine_, DNNL_MEMORY_NONE);
        scratchpad_users_.push_back(scratchpad);
        scratchpad_bytes_ = std::max(scratchpad_bytes_, scratchpad_desc.get_size());
        args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
    }
    graph_.add_primitive(std::move(name), phase, std::move(primitive), args, pd.impl_info_str());
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

memory GraphBuilder::output_for(const memory& target, const memory::desc& produced) const {
    return target.get_desc() == produced ? target : make(produced);
}

void GraphBuilder::store(const std::string& name, Phase phase, const memory& written,
                         const memory& target) {
    if (written.get() != target.get()) reorder(name, phase, written, target);
}

void GraphBuilder::finish() {
    if (scratchpad_bytes_ == 0) return;
    constexpr std::size_t kAlignment = 64;
    const std::size_t bytes = (scratchpad_bytes_ + kAlignment - 1) / kAlignment * kAlignment;
    void* raw = std::aligned_alloc(kAlignment, bytes);
    if (raw == nullptr) throw std::bad_alloc();
    std::shared_ptr<void> buffer(raw, std::free);
    for (memory& user : scratchpad_users_) user.set_data_handle(buffer.get());
    graph_.own(std::move(buffer));
    scratchpad_users_.clear();
}

}  // namespace vaednn::detail
