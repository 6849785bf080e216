// The memory plan: activations placed by lifetime in one arena that every graph of a Vae shares,
// and inference graphs that carry no training workspace or backward buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/builder.hpp"
#include "engine/graph.hpp"
#include "model/vae_access.hpp"
#include "test_support.hpp"
#include "vaednn/model.hpp"

namespace vaednn {
namespace {

using namespace detail;

std::vector<float> images(std::size_t n) {
    std::vector<float> v(n * 784);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>(i * 2654435761u % 1000u) / 999.0f;
    }
    return v;
}

bool has_argument(const Node& node, int kind) {
    return std::any_of(node.args.begin(), node.args.end(),
                       [kind](const dnnl_exec_arg_t& a) { return a.arg == kind; });
}

// Where a placement's bytes are, as [begin, end).
struct Span {
    std::size_t begin, end;
    bool overlaps(const Span& o) const { return begin < o.end && o.begin < end; }
};
Span span_of(const Graph& graph, const memory& tensor) {
    for (const Placement& p : graph.placements()) {
        if (p.tensor.get() == tensor.get()) return {p.offset, p.offset + p.bytes};
    }
    ADD_FAILURE() << "tensor not in the plan";
    return {0, 0};
}

TEST(MemoryPlan, TensorsShareBytesOnlyWhenTheirLifetimesDoNotOverlap) {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    Graph graph;
    GraphBuilder b(engine, graph);
    const memory::desc desc = plain_desc({1024}, Tag::x);
    // a -> b -> c -> d: a chain in which each tensor dies when the next one is written.
    const memory a = b.make(desc), t = b.make(desc), c = b.make(desc), d = b.make(desc);
    const auto copy = [](memory from, memory to) {
        return [from, to] {
            std::memcpy(to.get_data_handle(), from.get_data_handle(), from.get_desc().get_size());
        };
    };
    b.add_kernel("fill", Phase::forward, {a},
                 [a] { std::fill_n(static_cast<float*>(a.get_data_handle()), 1024, 3.0f); });
    b.add_kernel("a_to_t", Phase::forward, {a, t}, copy(a, t));
    b.add_kernel("t_to_c", Phase::forward, {t, c}, copy(t, c));
    b.add_kernel("c_to_d", Phase::forward, {c, d}, copy(c, d));
    // A view of t's second half follows t.
    const memory half = b.view(t, plain_desc({512}, Tag::x), 512 * sizeof(float));
    b.pin(d);  // read after the run
    b.finish();

    EXPECT_FALSE(span_of(graph, a).overlaps(span_of(graph, t)));
    EXPECT_FALSE(span_of(graph, t).overlaps(span_of(graph, c)));
    EXPECT_FALSE(span_of(graph, c).overlaps(span_of(graph, d)));
    // d, pinned, lives throughout; a and c take turns in one buffer, t has its own.
    EXPECT_EQ(graph.planned_bytes(), 3 * desc.get_size());
    EXPECT_EQ(span_of(graph, a).begin, span_of(graph, c).begin);
    EXPECT_EQ(static_cast<char*>(half.get_data_handle()) - static_cast<char*>(t.get_data_handle()),
              static_cast<std::ptrdiff_t>(512 * sizeof(float)));

    const dnnl::stream stream(engine);
    dnnl::stream s = stream;
    graph.run(s);
    EXPECT_EQ(static_cast<const float*>(d.get_data_handle())[1023], 3.0f);
}

TEST(MemoryPlan, SectionsAreTheGraphsEntryPoints) {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    Graph graph;
    GraphBuilder b(engine, graph);
    std::vector<int> ran;
    b.section("first");
    b.add_kernel("one", Phase::forward, {}, [&ran] { ran.push_back(1); });
    b.section("second");
    b.add_kernel("two", Phase::forward, {}, [&ran] { ran.push_back(2); });
    b.add_kernel("three", Phase::forward, {}, [&ran] { ran.push_back(3); });
    b.finish();
    dnnl::stream stream(engine);
    graph.run(stream, "second");
    graph.run(stream, "first");
    graph.run(stream, "first", "second");
    EXPECT_EQ(ran, (std::vector<int>{2, 3, 1, 1, 2, 3}));
    EXPECT_THROW(graph.run(stream, "third"), std::logic_error);
}

class MemoryPlanPerLstmKernel : public ::testing::TestWithParam<LstmKernel> {};

TEST_P(MemoryPlanPerLstmKernel, InferenceGraphsCarryNoWorkspaceAndPlanLessThanTraining) {
    VaeConfig config = testing::small_test_config();
    config.hidden = 64;
    Vae vae(config, 1, ComputeOptions{GetParam()});
    const std::size_t batch = 16;
    const Graph& inference = VaeAccess::inference_graph(vae, batch);
    const Graph& training = VaeAccess::step_graph(vae, batch);

    if (GetParam() == LstmKernel::onednn) {
        bool training_has_workspace = false;
        for (const Node& node : training.nodes()) {
            training_has_workspace |= has_argument(node, DNNL_ARG_WORKSPACE);
        }
        EXPECT_TRUE(training_has_workspace) << "the LSTM's forward_training keeps one";
    }
    for (const Node& node : inference.nodes()) {
        EXPECT_FALSE(has_argument(node, DNNL_ARG_WORKSPACE)) << node.name;
        EXPECT_NE(node.phase, Phase::backward) << node.name;
        EXPECT_NE(node.phase, Phase::optimizer) << node.name;
    }
    EXPECT_LT(inference.planned_bytes(), training.planned_bytes());
    EXPECT_LT(inference.size(), training.size());
}

// The fused LSTM keeps 4H + 3H floats per cell for backward (gates, c, tanh c, h); oneDNN's
// reference driver keeps a workspace and a backward scratchpad several times that.
TEST(MemoryPlan, TheFusedLstmTrainsInLessMemoryThanOneDnns) {
    VaeConfig config = testing::small_test_config();
    config.hidden = 64;
    const std::size_t batch = 32;
    Vae fused(config, 1, ComputeOptions{LstmKernel::fused});
    Vae onednn(config, 1, ComputeOptions{LstmKernel::onednn});
    const std::size_t fused_bytes = VaeAccess::step_graph(fused, batch).planned_bytes();
    const std::size_t onednn_bytes = VaeAccess::step_graph(onednn, batch).planned_bytes();
    EXPECT_LT(fused_bytes, onednn_bytes);
    // What the plan must hold at least: the fused LSTM's gates, c, tanh c and h for every step.
    const std::size_t cells = static_cast<std::size_t>(config.image_rows) * batch *
                              static_cast<std::size_t>(config.hidden);
    EXPECT_GE(fused_bytes, 7 * cells * sizeof(float));
}

INSTANTIATE_TEST_SUITE_P(LstmKernels, MemoryPlanPerLstmKernel,
                         ::testing::Values(LstmKernel::fused, LstmKernel::onednn),
                         [](const auto& test_info) { return to_string(test_info.param); });

TEST(MemoryPlan, EvaluateEncodeDecodeAndSampleBuildNoTrainingGraph) {
    const VaeConfig config = testing::small_test_config();
    Vae vae(config, 1);
    const auto x = images(5);
    vae.evaluate(x);
    std::vector<float> mu(5 * 4), logvar(5 * 4), pixels(5 * 784);
    vae.encode(x, mu, logvar);
    vae.decode(mu, pixels);
    vae.sample(pixels);
    EXPECT_EQ(VaeAccess::training_graphs(vae), 0u);
    vae.train_step(x);
    EXPECT_EQ(VaeAccess::training_graphs(vae), 1u);
}

TEST(MemoryPlan, EveryGraphOfAVaeSharesOneArenaSizedToTheLargestPlan) {
    const VaeConfig config = testing::small_test_config();
    Vae vae(config, 1);
    // Smallest first, so the arena grows and earlier graphs move with it.
    vae.evaluate(images(3));
    vae.train_step(images(3));
    vae.train_step(images(16));
    vae.evaluate(images(16));
    const std::size_t largest = VaeAccess::step_graph(vae, 16).planned_bytes();
    EXPECT_EQ(VaeAccess::arena_bytes(vae), largest);
    const std::size_t sum = largest + VaeAccess::step_graph(vae, 3).planned_bytes() +
                            VaeAccess::inference_graph(vae, 3).planned_bytes() +
                            VaeAccess::inference_graph(vae, 16).planned_bytes();
    EXPECT_LT(VaeAccess::arena_bytes(vae), sum);
}

TEST(MemoryPlan, AGraphThatMovedWithTheArenaComputesWhatANewOneDoes) {
    const VaeConfig config = testing::small_test_config();
    // Built while the arena is small, then moved when the training graph grows it.
    Vae moved(config, 1);
    moved.evaluate(images(3));                               // noise draw 0
    moved.train_step(images(16));                            // draw 1
    const LossTerms after_move = moved.evaluate(images(3));  // draw 2

    // The same draws and updates, the inference graph built in the grown arena.
    Vae fresh(config, 1);
    fresh.set_noise_state({1, 0});
    fresh.train_step(images(16));
    const LossTerms reference = fresh.evaluate(images(3));
    EXPECT_EQ(after_move.loss, reference.loss);
    EXPECT_EQ(after_move.kl, reference.kl);
    EXPECT_TRUE(std::isfinite(after_move.loss));
}

// Where the bytes go, for docs/PERFORMANCE.md: each node's planned arguments (scratchpads
// included) at batch 128 of the default model. Run with --gtest_also_run_disabled_tests.
TEST(MemoryPlan, DISABLED_PrintsWhereTheDefaultModelsBytesGo) {
    Vae vae(VaeConfig{}, 1);
    for (const bool training : {true, false}) {
        const Graph& graph =
            training ? VaeAccess::step_graph(vae, 128) : VaeAccess::inference_graph(vae, 128);
        std::printf("%s graph, batch 128: plan %.1f MiB\n", training ? "training" : "inference",
                    static_cast<double>(graph.planned_bytes()) / (1 << 20));
        std::vector<dnnl_memory_t> seen;
        std::size_t total = 0;
        for (const Node& node : graph.nodes()) {
            for (const dnnl_exec_arg_t& arg : node.args) {
                if (std::find(seen.begin(), seen.end(), arg.memory) != seen.end()) continue;
                seen.push_back(arg.memory);
                for (const Placement& p : graph.placements()) {
                    if (p.tensor.get() != arg.memory) continue;
                    const std::size_t bytes = p.tensor.get_desc().get_size();
                    total += bytes;
                    if (bytes >= (64 << 10)) {
                        std::printf("  %8.2f MiB at %8.2f  %-40s arg %d\n",
                                    static_cast<double>(bytes) / (1 << 20),
                                    static_cast<double>(p.offset) / (1 << 20), node.name.c_str(),
                                    arg.arg);
                    }
                }
            }
        }
        std::printf("  sum of planned tensors %.1f MiB\n", static_cast<double>(total) / (1 << 20));
    }
}

}  // namespace
}  // namespace vaednn
