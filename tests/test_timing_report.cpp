// The timing report: node times leave out the warm-up step as the step statistics do, the table
// ranks nodes by their median (a burst of other work on the machine drags a mean, not a median)
// and says which nodes it leaves out.
#include <gtest/gtest.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "vaednn/model.hpp"
#include "vaednn/report.hpp"

namespace vaednn {
namespace {

using detail::Graph;
using detail::NodeTimes;
using detail::Phase;

TEST(NodeTimes, TheFirstRunIsNotTimedAndLaterRunsAre) {
    Graph graph;
    int calls = 0;
    graph.add_kernel("a", Phase::forward, [&calls] { ++calls; });
    graph.add_kernel("b", Phase::backward, [&calls] { ++calls; });
    dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);

    NodeTimes times;
    graph.run(stream, &times);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(times.runs, 1);
    EXPECT_EQ(times.timed_runs(), 0);
    ASSERT_EQ(times.totals.size(), 2u);
    EXPECT_EQ(times.totals[0], 0.0) << "the warm-up run must not count";
    EXPECT_EQ(times.window.size(), NodeTimes::kWindow * 2);

    graph.run(stream, &times);
    graph.run(stream, &times);
    EXPECT_EQ(calls, 6);
    EXPECT_EQ(times.timed_runs(), 2);
    EXPECT_EQ(times.window[0] + times.window[2], times.totals[0]);
    EXPECT_EQ(times.window[1] + times.window[3], times.totals[1]);
}

TEST(NodeTimes, MedianOfEachNodeOverTheWindow) {
    NodeTimes times;
    times.totals = {0.0, 0.0};
    times.window.assign(NodeTimes::kWindow * 2, 0.0);
    // Three timed runs of node 0: 1, 100 (a burst of other work), 3; node 1: 2, 2, 8.
    const double rows[3][2] = {{1.0, 2.0}, {100.0, 2.0}, {3.0, 8.0}};
    for (std::size_t r = 0; r < 3; ++r) {
        times.window[2 * r] = rows[r][0];
        times.window[2 * r + 1] = rows[r][1];
    }
    times.runs = 4;  // the warm-up and three timed runs
    EXPECT_EQ(times.medians(), (std::vector<double>{3.0, 2.0}));

    times.window[6] = 5.0, times.window[7] = 4.0;  // a fourth: the middle two's mean
    times.runs = 5;
    EXPECT_EQ(times.medians(), (std::vector<double>{4.0, 3.0}));

    // Past the window's size only the most recent kWindow runs count (all 0 here but the four).
    times.runs = static_cast<std::int64_t>(NodeTimes::kWindow) + 100;
    EXPECT_EQ(times.medians(), (std::vector<double>{0.0, 0.0}));
}

NodeTiming node(std::string name, double mean_ms, double median_ms) {
    return {std::move(name), "forward", "vaednn", "", mean_ms * 1e-3, median_ms * 1e-3};
}

TEST(TimingTable, RanksByMedianAndSaysWhatItLeavesOut) {
    TimingReport report;
    report.batch_size = 128;
    report.steps = {10, 0.0105, 0.02, 0.03, 0.012};
    report.train_seconds = 0.12;
    // "burst" has the larger mean but the smaller median: the median decides.
    report.nodes = {node("steady", 5.0, 5.0), node("burst", 9.0, 4.0), node("tiny", 0.02, 0.02),
                    node("tinier", 0.01, 0.01)};
    const std::string table = format_timing_table(report);

    const auto steady = table.find("steady"), burst = table.find("burst");
    ASSERT_NE(steady, std::string::npos) << table;
    ASSERT_NE(burst, std::string::npos) << table;
    EXPECT_LT(steady, burst) << table;
    EXPECT_NE(table.find("median ms"), std::string::npos) << table;
    EXPECT_NE(table.find("4.000"), std::string::npos) << "burst's median\n" << table;
    EXPECT_EQ(table.find("9.000"), std::string::npos) << "burst's mean\n" << table;
    EXPECT_EQ(table.find("tiny"), std::string::npos) << table;
    EXPECT_NE(table.find("(2 of 4 nodes shown"), std::string::npos) << table;
    EXPECT_NE(table.find("the other 2 add 0.3%"), std::string::npos) << table;
    EXPECT_NE(table.find("add up to 9.03 ms of the step's 10.50 ms median"), std::string::npos)
        << table;
}

TEST(TimingTable, EveryNodeShownNeedsNoFootnote) {
    TimingReport report;
    report.batch_size = 8;
    report.steps = {3, 0.002, 0.002, 0.002, 0.002};
    report.nodes = {node("a", 1.0, 1.0), node("b", 1.0, 1.0)};
    const std::string table = format_timing_table(report);
    EXPECT_EQ(table.find("nodes shown"), std::string::npos) << table;
    EXPECT_NE(table.find("add up to 2.00 ms of the step's 2.00 ms median"), std::string::npos)
        << table;
}

// Through the model: a profiled training step reports per-node medians once warm.
TEST(TimingTable, ProfiledStepsReportNodesAfterTheWarmUp) {
    VaeConfig config;
    config.hidden = 16;
    config.latent = 4;
    Vae vae(config, 1);
    vae.set_profiling(true);
    const std::vector<float> batch(4 * 784, 0.5f);
    vae.train_step(batch);
    for (const NodeTiming& n : vae.node_timings(4)) EXPECT_EQ(n.median_seconds, 0.0) << n.name;
    vae.train_step(batch);
    vae.train_step(batch);
    double total = 0.0;
    for (const NodeTiming& n : vae.node_timings(4)) total += n.median_seconds;
    EXPECT_GT(total, 0.0);
}

}  // namespace
}  // namespace vaednn
