// In-tree access to a Vae's graphs, for bench_vae's per-layer benchmarks (they replay the step's
// own nodes, with the layouts and scratchpads the step uses, one at a time) and for the tests of
// the memory plan.
#pragma once

#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/graph.hpp"
#include "vaednn/model.hpp"

namespace vaednn::detail {

struct VaeAccess {
    // The training graph for `batch`, built on first use.
    static const Graph& step_graph(Vae& vae, std::size_t batch);
    // The inference graph (evaluate, encode, decode) for `batch`, built on first use.
    static const Graph& inference_graph(Vae& vae, std::size_t batch);
    // How many training graphs the Vae has built.
    static std::size_t training_graphs(const Vae& vae);
    // The bytes of the one arena all its graphs' activations share.
    static std::size_t arena_bytes(const Vae& vae);
    // The stream the graph runs on.
    static dnnl::stream& stream(Vae& vae);
};

}  // namespace vaednn::detail
