#include "vaednn/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

constexpr const char* kMetricsHeader =
    "epoch,train_loss,train_reconstruction,train_kl,test_loss,test_reconstruction,test_kl,"
    "images_per_second,train_seconds,stall_seconds";

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0.0;
    const double rank = q * static_cast<double>(sorted.size() - 1);
    const auto low = static_cast<std::size_t>(std::floor(rank));
    const auto high = std::min(low + 1, sorted.size() - 1);
    return sorted[low] + (rank - static_cast<double>(low)) * (sorted[high] - sorted[low]);
}

}  // namespace

void write_metrics_csv(const std::filesystem::path& file, std::span<const EpochMetrics> rows) {
    std::string text = std::string(kMetricsHeader) + "\n";
    for (const EpochMetrics& m : rows) {
        text += fmt::format("{},{},{},{},{},{},{},{:.1f},{:.3f},{:.3f}\n", m.epoch, m.train.loss,
                            m.train.reconstruction, m.train.kl, m.test.loss, m.test.reconstruction,
                            m.test.kl, m.images_per_second, m.train_seconds, m.stall_seconds);
    }
    write_file_atomically(file, text);
}

std::vector<EpochMetrics> read_metrics_csv(const std::filesystem::path& file) {
    std::vector<EpochMetrics> rows;
    std::ifstream in(file);
    if (!in) return rows;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (number == 1 || line.empty()) continue;
        // A line the file ends inside was cut short, even when what is left parses.
        if (in.eof()) break;
        EpochMetrics m;
        char comma = 0;
        std::istringstream fields(line);
        fields >> m.epoch >> comma >> m.train.loss >> comma >> m.train.reconstruction >> comma >>
            m.train.kl >> comma >> m.test.loss >> comma >> m.test.reconstruction >> comma >>
            m.test.kl >> comma >> m.images_per_second >> comma >> m.train_seconds >> comma >>
            m.stall_seconds;
        if (!fields || !(fields >> std::ws).eof()) {
            throw Error(fmt::format("{}:{}: not a metrics row", file.string(), number));
        }
        rows.push_back(m);
    }
    return rows;
}

StepStatistics step_statistics(std::span<const double> step_seconds, std::size_t warmup) {
    StepStatistics stats;
    if (step_seconds.size() <= warmup) return stats;
    std::vector<double> sorted(step_seconds.begin() + static_cast<std::ptrdiff_t>(warmup),
                               step_seconds.end());
    std::sort(sorted.begin(), sorted.end());
    stats.steps = sorted.size();
    stats.median = percentile(sorted, 0.5);
    stats.p90 = percentile(sorted, 0.9);
    stats.p99 = percentile(sorted, 0.99);
    double total = 0.0;
    for (double s : sorted) total += s;
    stats.mean = total / static_cast<double>(sorted.size());
    return stats;
}

void write_timing_json(const std::filesystem::path& file, const TimingReport& r) {
    using json = nlohmann::json;
    double node_total = 0.0;
    for (const NodeTiming& n : r.nodes) node_total += n.mean_seconds;
    json nodes = json::array();
    for (const NodeTiming& n : r.nodes) {
        nodes.push_back({{"name", n.name},
                         {"phase", n.phase},
                         {"implementation", n.implementation},
                         {"layout", n.layout},
                         {"mean_ms", n.mean_seconds * 1e3},
                         {"share", node_total > 0.0 ? n.mean_seconds / node_total : 0.0}});
    }
    std::map<std::string, double> phases;
    for (const NodeTiming& n : r.nodes) phases[n.phase] += n.mean_seconds * 1e3;
    const double loop_seconds = r.train_seconds + r.stall_seconds;
    const json report = {{"batch_size", r.batch_size},
                         {"step_ms",
                          {{"median", r.steps.median * 1e3},
                           {"p90", r.steps.p90 * 1e3},
                           {"p99", r.steps.p99 * 1e3},
                           {"mean", r.steps.mean * 1e3},
                           {"steps", r.steps.steps},
                           {"warmup_steps_excluded", 1}}},
                         {"phases_ms", phases},
                         {"nodes", nodes},
                         {"loader",
                          {{"stall_seconds", r.stall_seconds},
                           {"stall_share_of_step_time",
                            r.train_seconds > 0.0 ? r.stall_seconds / r.train_seconds : 0.0}}},
                         {"images", r.images},
                         {"binarize", r.binarize},
                         {"images_per_second",
                          loop_seconds > 0.0 ? static_cast<double>(r.images) / loop_seconds : 0.0},
                         {"environment",
                          {{"onednn_version", r.runtime.onednn_version},
                           {"onednn_isa", r.runtime.cpu_isa},
                           {"cpu_model", r.runtime.cpu_model},
                           {"hardware_threads", r.runtime.hardware_threads},
                           {"threads", r.threads},
                           {"threads_requested", r.threads_requested}}}};
    write_file_atomically(file, report.dump(2) + "\n");
}

std::string format_timing_table(const TimingReport& r) {
    if (r.steps.steps == 0) {
        // A run of one step per process has only its warm-up step, which is never timed.
        return "timing: no steps were timed (the first step is warm-up and left out); train "
               "for more than one step for a timing report\n";
    }
    double node_total = 0.0;
    for (const NodeTiming& n : r.nodes) node_total += n.mean_seconds;
    std::string out = fmt::format(
        "step time at batch {}: median {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms over {} steps "
        "(first left out); loader stall {:.3f} s ({:.2f}% of step time)\n",
        r.batch_size, r.steps.median * 1e3, r.steps.p90 * 1e3, r.steps.p99 * 1e3, r.steps.steps,
        r.stall_seconds, r.train_seconds > 0.0 ? 100.0 * r.stall_seconds / r.train_seconds : 0.0);
    out += fmt::format("{:<34} {:<9} {:>8} {:>6}  {:<24} {}\n", "node", "phase", "mean ms", "share",
                       "implementation", "layout (in -> out)");
    std::vector<NodeTiming> sorted = r.nodes;
    std::stable_sort(sorted.begin(), sorted.end(), [](const NodeTiming& a, const NodeTiming& b) {
        return a.mean_seconds > b.mean_seconds;
    });
    for (const NodeTiming& n : sorted) {
        const double share = node_total > 0.0 ? n.mean_seconds / node_total : 0.0;
        if (share < 0.005) continue;  // the long tail of tiny nodes stays in timing.json
        out += fmt::format("{:<34} {:<9} {:>8.3f} {:>5.1f}%  {:<24} {}\n", n.name, n.phase,
                           n.mean_seconds * 1e3, 100.0 * share, n.implementation, n.layout);
    }
    return out;
}

}  // namespace vaednn
