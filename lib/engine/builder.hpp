// Builds a Graph: creates primitives from their descriptors (counted, with one user-managed
// scratchpad shared by all nodes), allocates activations, and inserts reorders only where a
// primitive wants another layout than the one a tensor is in.
#pragma once

#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/graph.hpp"

namespace vaednn::detail {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

inline memory::desc plain_desc(const Dims& dims, Tag tag) {
    return memory::desc(dims, f32, tag);
}
inline memory::desc any_desc(const Dims& dims) {
    return memory::desc(dims, f32, Tag::any);
}
// Dimension `i` of a tensor (from the C descriptor: dims() builds a vector each call).
inline memory::dim dim_of(const memory& m, int i) {
    return m.get_desc().data.dims[i];
}

class GraphBuilder {
  public:
    GraphBuilder(dnnl::engine engine, Graph& graph) : engine_(std::move(engine)), graph_(graph) {}

    const dnnl::engine& engine() const noexcept { return engine_; }
    Graph& graph() noexcept { return graph_; }

    // Attributes every primitive is built with: a scratchpad we provide, so no primitive
    // allocates one while it runs.
    static dnnl::primitive_attr attributes();
    static dnnl::primitive_attr attributes_with_relu();

    // A new tensor owned by the graph.
    memory make(const memory::desc& desc) const { return memory(desc, engine_); }
    // A tensor that reads and writes `base`'s buffer at `byte_offset`, seen through `desc`.
    // The graph keeps `base` alive as long as it lives.
    memory view(const memory& base, const memory::desc& desc, std::size_t byte_offset = 0);

    // Creates the primitive for `pd` and appends it as a node, with the shared scratchpad.
    void add(std::string name, Phase phase, const dnnl::primitive_desc_base& pd,
             std::unordered_map<int, memory> args);

    // `tensor` in the layout `wanted`: itself when it already is, else a new tensor filled by a
    // reorder node named `name`.
    memory to_layout(const std::string& name, Phase phase, const memory& tensor,
                     const memory::desc& wanted);
    // Appends a reorder node from `from` to `to` (both existing tensors).
    void reorder(const std::string& name, Phase phase, const memory& from, const memory& to);

    // Where a primitive that produces `produced` should write a result meant for `target` (a
    // gradient in the parameter arena): `target` itself when the layouts agree, else a new tensor
    // that store() then reorders into `target`.
    memory output_for(const memory& target, const memory::desc& produced) const;
    // Appends the reorder from `written` (an output_for() result) into `target`, when they differ.
    void store(const std::string& name, Phase phase, const memory& written, const memory& target);

    // Allocates the shared scratchpad (the largest any node asked for) and hands it to the graph.
    void finish();

  private:
    dnnl::engine engine_;
    Graph& graph_;
    std::vector<memory> scratchpad_users_;
    std::size_t scratchpad_bytes_ = 0;
};

}  // namespace vaednn::detail
