// Builds a Graph: creates primitives from their descriptors (counted, each with a user-managed
// scratchpad), plans the activations' memory from their lifetimes, and inserts reorders only
// where a primitive wants another layout than the one a tensor is in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/graph.hpp"
#include "engine/layout.hpp"

namespace vaednn::detail {

// Which graph a forward pass is built into: a training graph keeps what backward reads (the
// LSTM's workspace); an inference graph is built from forward_inference primitives and keeps
// nothing past its last reader.
enum class Pass { training, inference };
inline dnnl::prop_kind forward_kind(Pass pass) {
    return pass == Pass::training ? dnnl::prop_kind::forward_training
                                  : dnnl::prop_kind::forward_inference;
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

    // A new activation. It has no buffer until finish() plans one: it lives from the first node
    // that touches it to the last, and tensors whose lifetimes do not overlap share bytes.
    memory make(const memory::desc& desc);
    // A tensor with a buffer of its own, outside the plan, for what must keep its contents
    // between runs (a zero initial state set once).
    memory make_persistent(const memory::desc& desc) const { return memory(desc, engine_); }
    // Keeps a planned tensor for the whole graph: an input filled before a run, or an output
    // read after one.
    void pin(const memory& tensor);
    // A tensor that reads and writes `base`'s buffer at `byte_offset`, seen through `desc`. A
    // view of a planned tensor is placed with it; of any other, the graph keeps `base` alive.
    memory view(const memory& base, const memory::desc& desc, std::size_t byte_offset = 0);

    // Nodes added from now on form the graph's section `name` (an entry point).
    void section(std::string name) { graph_.begin_section(std::move(name)); }

    // Creates the primitive for `pd` and appends it as a node, with a scratchpad of its own in
    // the plan (alive only while the node runs).
    void add(std::string name, Phase phase, const dnnl::primitive_desc_base& pd,
             std::unordered_map<int, memory> args);
    // Appends one of our kernels; `touched` lists every tensor it reads or writes.
    void add_kernel(std::string name, Phase phase, const std::vector<memory>& touched,
                    std::function<void()> kernel);

    // `tensor` in the layout `wanted`: itself when it already is, else a new tensor filled by a
    // reorder node named `name`.
    memory to_layout(const std::string& name, Phase phase, const memory& tensor,
                     const memory::desc& wanted);
    // Appends a reorder node from `from` to `to` (both existing tensors).
    void reorder(const std::string& name, Phase phase, const memory& from, const memory& to);

    // Where a primitive that produces `produced` should write a result meant for `target` (a
    // gradient in the parameter arena): `target` itself when the layouts agree, else a new tensor
    // that store() then reorders into `target`.
    memory output_for(const memory& target, const memory::desc& produced);
    // Appends the reorder from `written` (an output_for() result) into `target`, when they differ.
    void store(const std::string& name, Phase phase, const memory& written, const memory& target);

    // Plans the activations' offsets and gives the graph an arena of its own.
    void finish();
    // Plans the activations' offsets and places them in `arena`, shared with other graphs.
    void finish(SharedArena& arena);

  private:
    // A span of bytes some tensors (a tensor and its views) live in, and when it is in use.
    struct Buffer {
        std::size_t bytes = 0;
        std::size_t first = SIZE_MAX, last = 0;  // node indices, inclusive
    };
    struct Planned {
        memory tensor;
        std::size_t buffer = 0;
        std::size_t offset = 0;  // within the buffer
    };
    std::size_t new_buffer(std::size_t bytes);
    void touch(const memory& tensor, std::size_t node);
    void plan();

    dnnl::engine engine_;
    Graph& graph_;
    std::vector<Buffer> buffers_;
    std::vector<Planned> planned_;
    std::unordered_map<dnnl_memory_t, std::size_t> planned_index_;  // into planned_
    std::vector<std::size_t> pinned_;                               // buffers
};

}  // namespace vaednn::detail
