// A graph is an ordered list of named nodes, built once per batch shape and replayed every step.
// A node is either a oneDNN primitive with its arguments or one of our own kernels. Consecutive
// nodes form named sections ("encoder", "decoder", "backward"...), the graph's entry points.
//
// The graph's activations have no buffer of their own: GraphBuilder plans each one an offset in
// an arena from its lifetime (first to last node that touches it), and bind() points them all
// into an arena that several graphs may share, since only one graph runs at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/layout.hpp"

namespace vaednn::detail {

// Where a node belongs in the step, for reports ("forward", "backward", "communication",
// "optimizer").
enum class Phase { forward, loss, backward, communication, optimizer };
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

// Wall time per node, filled when a graph runs with timing on. The first run is left out, as the
// step statistics leave it out (first touch of the arena, oneDNN's lazy set-up); the most recent
// kWindow runs are kept apart so that a report can take medians, which a burst of other work on
// the machine does not drag the way it drags a mean.
struct NodeTimes {
    static constexpr std::size_t kWindow = 1024;
    std::vector<double> window;  // row r % kWindow: the node times of timed run r
    std::vector<double> totals;  // per node, summed over every timed run
    std::int64_t runs = 0;       // full runs, the untimed first one included

    std::int64_t timed_runs() const noexcept { return runs > 0 ? runs - 1 : 0; }
    // Per node, over the runs still in the window (zeros before the second run).
    std::vector<double> medians() const;
};

// A planned tensor's place in the arena.
struct Placement {
    dnnl::memory tensor;
    std::size_t offset = 0;  // bytes from the arena's start
    std::size_t bytes = 0;   // what the plan reserved for it (its buffer's size, for a view)
};

class Graph {
  public:
    void add_primitive(std::string name, Phase phase, dnnl::primitive primitive,
                       const std::unordered_map<int, dnnl::memory>& args,
                       std::string implementation);
    void add_kernel(std::string name, Phase phase, std::function<void()> kernel);

    // Nodes added from now on belong to section `name`, until the next section begins.
    void begin_section(std::string name);

    // Runs nodes [first, last) in order on `stream`.
    void run(dnnl::stream& stream, std::size_t first, std::size_t last) const;
    // Runs the whole graph; with `times`, each node is timed.
    void run(dnnl::stream& stream, NodeTimes* times = nullptr) const;
    // Runs the sections from `first` through `last`, in graph order.
    void run(dnnl::stream& stream, std::string_view first, std::string_view last) const;
    void run(dnnl::stream& stream, std::string_view section) const {
        run(stream, section, section);
    }
    bool has_section(std::string_view name) const noexcept;

    // Buffers the nodes read and write that no dnnl::memory owns (a standalone arena).
    void own(std::shared_ptr<void> buffer) { owned_.push_back(std::move(buffer)); }
    // Tensors whose buffers nodes read or write through views (see GraphBuilder::view).
    void keep(dnnl::memory tensor) { kept_.push_back(std::move(tensor)); }

    // The memory plan (GraphBuilder::finish): the arena bytes it needs and where each tensor goes.
    void set_plan(std::size_t bytes, std::vector<Placement> placements);
    std::size_t planned_bytes() const noexcept { return planned_bytes_; }
    const std::vector<Placement>& placements() const noexcept { return placements_; }
    // Points every planned tensor into `arena` (at least planned_bytes() long).
    void bind(void* arena) const;

    std::size_t size() const noexcept { return nodes_.size(); }
    const std::vector<Node>& nodes() const noexcept { return nodes_; }

  private:
    void execute(dnnl::stream& stream, const Node& node) const;
    struct Section {
        std::string name;
        std::size_t first = 0, last = 0;
    };
    const Section& section(std::string_view name) const;

    std::vector<Node> nodes_;
    std::vector<Section> sections_;
    std::vector<std::shared_ptr<void>> owned_;
    std::vector<dnnl::memory> kept_;
    std::size_t planned_bytes_ = 0;
    std::vector<Placement> placements_;
};

// One buffer for the planned tensors of several graphs, of which only one runs at a time: sized
// to the largest plan, and moved (every graph rebound) when a new graph needs more. Its contents
// do not outlive a run.
class SharedArena {
  public:
    void attach(const Graph& graph);
    std::size_t bytes() const noexcept { return bytes_; }

  private:
    std::shared_ptr<void> buffer_;
    std::size_t bytes_ = 0;
    std::vector<const Graph*> graphs_;
};

// A 64-byte aligned buffer of `bytes` (rounded up), freed with the last owner.
std::shared_ptr<void> aligned_buffer(std::size_t bytes);

// How many oneDNN primitives this process has created through the graph builder; the tests
// use it to prove that no step creates one.
std::int64_t primitives_created();
void count_primitive_creation();

}  // namespace vaednn::detail
