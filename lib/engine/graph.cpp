#include "engine/graph.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <numeric>
#include <stdexcept>

namespace vaednn::detail {
namespace {
std::atomic<std::int64_t> g_primitives_created{0};
}

std::int64_t primitives_created() {
    return g_primitives_created.load();
}
void count_primitive_creation() {
    ++g_primitives_created;
}

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::forward:
            return "forward";
        case Phase::loss:
            return "loss";
        case Phase::backward:
            return "backward";
        case Phase::communication:
            return "communication";
        case Phase::optimizer:
            return "optimizer";
    }
    return "?";
}

namespace {

// The tensor a primitive reads first and the one it writes, by argument kind.
std::string describe_node_layouts(const std::unordered_map<int, dnnl::memory>& args) {
    const auto first_of = [&](std::initializer_list<int> kinds) -> std::string {
        for (int kind : kinds) {
            const auto it = args.find(kind);
            if (it != args.end()) return describe_layout(it->second.get_desc());
        }
        return "?";
    };
    return first_of({DNNL_ARG_SRC, DNNL_ARG_FROM, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_DST_LAYER}) +
           " -> " +
           first_of({DNNL_ARG_DST, DNNL_ARG_TO, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_SRC,
                     DNNL_ARG_DIFF_WEIGHTS_LAYER});
}

}  // namespace

void Graph::add_primitive(std::string name, Phase phase, dnnl::primitive primitive,
                          const std::unordered_map<int, dnnl::memory>& args,
                          std::string implementation) {
    Node node;
    node.name = std::move(name);
    node.phase = phase;
    node.primitive = std::move(primitive);
    node.implementation = std::move(implementation);
    node.layout = describe_node_layouts(args);
    for (const auto& [key, memory] : args) {
        node.args.push_back({key, memory.get()});
        node.keep_alive.push_back(memory);
    }
    nodes_.push_back(std::move(node));
}

void Graph::add_kernel(std::string name, Phase phase, std::function<void()> kernel) {
    Node node;
    node.name = std::move(name);
    node.phase = phase;
    node.kernel = std::move(kernel);
    node.implementation = "vaednn";
    nodes_.push_back(std::move(node));
}

void Graph::begin_section(std::string name) {
    if (!sections_.empty()) sections_.back().last = nodes_.size();
    sections_.push_back({std::move(name), nodes_.size(), nodes_.size()});
}

const Graph::Section& Graph::section(std::string_view name) const {
    for (const Section& s : sections_) {
        if (s.name == name) return s;
    }
    throw std::logic_error("graph: no section named " + std::string(name));
}

bool Graph::has_section(std::string_view name) const noexcept {
    for (const Section& s : sections_) {
        if (s.name == name) return true;
    }
    return false;
}

void Graph::run(dnnl::stream& stream, std::string_view first, std::string_view last) const {
    // The last section runs to the end of the graph (sections_.back().last is set only when
    // another begins).
    const Section& to = section(last);
    const std::size_t end = &to == &sections_.back() ? nodes_.size() : to.last;
    run(stream, section(first).first, end);
}

void Graph::set_plan(std::size_t bytes, std::vector<Placement> placements) {
    planned_bytes_ = bytes;
    placements_ = std::move(placements);
}

void Graph::bind(void* arena) const {
    auto* base = static_cast<char*>(arena);
    for (const Placement& p : placements_) p.tensor.set_data_handle(base + p.offset);
}

std::shared_ptr<void> aligned_buffer(std::size_t bytes) {
    constexpr std::size_t kAlignment = 64;
    const std::size_t rounded =
        (std::max<std::size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
    void* raw = std::aligned_alloc(kAlignment, rounded);
    if (raw == nullptr) throw std::bad_alloc();
    return {raw, std::free};
}

void SharedArena::attach(const Graph& graph) {
    if (graph.planned_bytes() > bytes_ || !buffer_) {
        // Nothing in the old buffer outlives a run, so the graphs move without their contents;
        // it is freed as soon as they have.
        std::shared_ptr<void> bigger = aligned_buffer(graph.planned_bytes());
        graphs_.push_back(&graph);
        for (const Graph* g : graphs_) g->bind(bigger.get());
        buffer_ = std::move(bigger);
        bytes_ = graph.planned_bytes();
    } else {
        graph.bind(buffer_.get());
        graphs_.push_back(&graph);
    }
}

void Graph::execute(dnnl::stream& stream, const Node& node) const {
    if (node.kernel) {
        node.kernel();
        return;
    }
    // The C API takes our prebuilt argument array; the C++ wrapper would build a vector on every
    // call.
    dnnl::error::wrap_c_api(
        dnnl_primitive_execute(node.primitive.get(), stream.get(),
                               static_cast<int>(node.args.size()), node.args.data()),
        "could not execute a primitive");
}

void Graph::run(dnnl::stream& stream, std::size_t first, std::size_t last) const {
    for (std::size_t i = first; i < last; ++i) execute(stream, nodes_[i]);
}

void Graph::run(dnnl::stream& stream, NodeTimes* times) const {
    if (times == nullptr || times->runs == 0) {
        run(stream, 0, nodes_.size());
        if (times != nullptr) {
            // Sized here, in the untimed first run, so that timed runs allocate nothing.
            times->window.assign(NodeTimes::kWindow * nodes_.size(), 0.0);
            times->totals.assign(nodes_.size(), 0.0);
            times->runs = 1;
        }
        return;
    }
    using Clock = std::chrono::steady_clock;
    const auto row = static_cast<std::size_t>(times->timed_runs()) % NodeTimes::kWindow;
    double* seconds = times->window.data() + row * nodes_.size();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const auto start = Clock::now();
        execute(stream, nodes_[i]);
        seconds[i] = std::chrono::duration<double>(Clock::now() - start).count();
        times->totals[i] += seconds[i];
    }
    ++times->runs;
}

std::vector<double> NodeTimes::medians() const {
    const std::size_t rows = std::min(static_cast<std::size_t>(timed_runs()), NodeTimes::kWindow);
    std::vector<double> out(totals.size(), 0.0);
    if (rows == 0) return out;
    std::vector<double> column(rows);
    for (std::size_t i = 0; i < totals.size(); ++i) {
        for (std::size_t r = 0; r < rows; ++r) column[r] = window[r * totals.size() + i];
        const auto middle = column.begin() + static_cast<std::ptrdiff_t>(rows / 2);
        std::nth_element(column.begin(), middle, column.end());
        out[i] = *middle;
        if (rows % 2 == 0) out[i] = 0.5 * (out[i] + *std::max_element(column.begin(), middle));
    }
    return out;
}

}  // namespace vaednn::detail
