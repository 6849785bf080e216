// In-tree access to a Vae's training graph, for bench_vae's per-layer benchmarks: they replay
// the step's own nodes, with the layouts and scratchpad the step uses, one at a time.
#pragma once

#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/graph.hpp"
#include "vaednn/model.hpp"

namespace vaednn::detail {

struct VaeAccess {
    // The training graph for `batch`, built on first use.
    static const Graph& step_graph(Vae& vae, std::size_t batch);
    // The stream the graph runs on.
    static dnnl::stream& stream(Vae& vae);
};

}  // namespace vaednn::detail
