// A graph is an ordered list of named nodes, built once per batch shape and replayed every step.
// A node is either a oneDNN primitive with its arguments or one of our own kernels.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace vaednn::detail {

// A memory layout in oneDNN's notation: dimensions as letters from the outermost, upper case when
// blocked, then the blocks ("abcd" is nchw, "acdb" nhwc, "aBcd16b" nChw16c).
std::string describe_layout(const dnnl::memory::desc& desc);

// Where a node belongs in the step, for reports ("forward", "backward", "optimizer").
enum class Phase { forward, loss, backward, optimizer };
const char* phase_name(Phase phase);

struct Node {
    std::string name;  // e.g. "deconv2.backward_weights"
    Phase phase;
    // Exactly one of the two is set.
    dnnl::primitive primitive;
    std::vector<dnnl_exec_arg_t> args;  // prebuilt, so replay builds no argument map of ours
    std::vector<dnnl::memory> keep_alive;
    std::function<void()> kernel;
    std::string implementation;  // oneDNN's implementation name, or "vaednn"
    std::string layout;          // "in -> out" layouts of a primitive (describe_layout)
};

// Accumulated wall time per node, filled when a graph runs with timing on.
struct NodeTimes {
    std::vector<double> seconds;  // per node, summed over runs
    std::int64_t runs = 0;
};

class Graph {
  public:
    void add_primitive(std::string name, Phase phase, dnnl::primitive primitive,
                       const std::unordered_map<int, dnnl::memory>& args,
                       std::string implementation);
    void add_kernel(std::string name, Phase phase, std::function<void()> kernel);

    // Runs nodes [first, last) in order on `stream`; with `times`, each node is timed.
    void run(dnnl::stream& stream, std::size_t first, std::size_t last,
             NodeTimes* times = nullptr) const;
    void run(dnnl::stream& stream, NodeTimes* times = nullptr) const {
        run(stream, 0, nodes_.size(), times);
    }

    // Buffers the nodes read and write that no dnnl::memory owns (the shared scratchpad).
    void own(std::shared_ptr<void> buffer) { owned_.push_back(std::move(buffer)); }
    // Tensors whose buffers nodes read or write through views (see GraphBuilder::view).
    void keep(dnnl::memory tensor) { kept_.push_back(std::move(tensor)); }

    std::size_t size() const noexcept { return nodes_.size(); }
    const std::vector<Node>& nodes() const noexcept { return nodes_; }

  private:
    std::vector<Node> nodes_;
    std::vector<std::shared_ptr<void>> owned_;
    std::vector<dnnl::memory> kept_;
};

// How many oneDNN primitives this process has created through the graph builder; the tests
// use it to prove that no step creates one.
std::int64_t primitives_created();
void count_primitive_creation();

}  // namespace vaednn::detail
