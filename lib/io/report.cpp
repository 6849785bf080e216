#include "vaednn/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "formats/json_limits.hpp"
#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

// Files written before the binarize column existed are read too (a run resumed by a newer
// vae_train keeps its rows).
constexpr std::string_view kMetricsHeaderWithoutTargets =
    "epoch,train_loss,train_reconstruction,train_kl,test_loss,test_reconstruction,test_kl,"
    "images_per_second,train_seconds,stall_seconds";
const std::string kMetricsHeader = std::string(kMetricsHeaderWithoutTargets) + ",binarize";

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0.0;
    const double rank = q * static_cast<double>(sorted.size() - 1);
    const auto low = static_cast<std::size_t>(std::floor(rank));
    const auto high = std::min(low + 1, sorted.size() - 1);
    return sorted[low] + (rank - static_cast<double>(low)) * (sorted[high] - sorted[low]);
}

// Shorter nodes stay out of the console's table (all are in timing.json).
constexpr double kSmallestNodeShown = 0.005;

double sum_of_medians(const std::vector<NodeTiming>& nodes) {
    double total = 0.0;
    for (const NodeTiming& n : nodes) total += n.median_seconds;
    return total;
}

}  // namespace

void write_metrics_csv(const std::filesystem::path& file, std::span<const EpochMetrics> rows) {
    std::string text = kMetricsHeader + "\n";
    for (const EpochMetrics& m : rows) {
        text += fmt::format("{},{},{},{},{},{},{},{:.1f},{:.3f},{:.3f},{}\n", m.epoch, m.train.loss,
                            m.train.reconstruction, m.train.kl, m.test.loss, m.test.reconstruction,
                            m.test.kl, m.images_per_second, m.train_seconds, m.stall_seconds,
                            to_string(m.binarize));
    }
    write_file_atomically(file, text);
}

std::vector<EpochMetrics> read_metrics_csv(const std::filesystem::path& file) {
    std::vector<EpochMetrics> rows;
    std::ifstream in(file);
    if (!in) return rows;
    std::string line;
    if (!std::getline(in, line) || in.eof()) return rows;  // empty, or a header cut short
    if (line.ends_with('\r')) line.pop_back();             // a file edited on Windows
    const bool has_targets = line == kMetricsHeader;
    if (!has_targets && line != kMetricsHeaderWithoutTargets) {
        throw Error(fmt::format("{}:1: not a metrics.csv header: '{}'", file.string(),
                                detail::quoted_excerpt(line)));
    }
    std::size_t number = 1;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        // A line the file ends inside was cut short, even when what is left parses.
        if (in.eof()) break;
        EpochMetrics m;
        char comma = 0;
        std::istringstream fields(line);
        fields >> m.epoch >> comma >> m.train.loss >> comma >> m.train.reconstruction >> comma >>
            m.train.kl >> comma >> m.test.loss >> comma >> m.test.reconstruction >> comma >>
            m.test.kl >> comma >> m.images_per_second >> comma >> m.train_seconds >> comma >>
            m.stall_seconds;
        std::string targets = "none";
        if (has_targets && fields && fields.get() == ',') fields >> targets;
        const bool known = targets == "none" || targets == "dynamic";
        if (!fields || !(fields >> std::ws).eof() || !known) {
            throw Error(fmt::format("{}:{}: not a metrics row", file.string(), number));
        }
        m.binarize = binarization_from_string(targets);
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
    const double node_total = sum_of_medians(r.nodes);
    json nodes = json::array();
    for (const NodeTiming& n : r.nodes) {
        nodes.push_back({{"name", n.name},
                         {"phase", n.phase},
                         {"implementation", n.implementation},
                         {"layout", n.layout},
                         {"median_ms", n.median_seconds * 1e3},
                         {"mean_ms", n.mean_seconds * 1e3},
                         {"share", node_total > 0.0 ? n.median_seconds / node_total : 0.0}});
    }
    std::map<std::string, double> phases;
    for (const NodeTiming& n : r.nodes) phases[n.phase] += n.median_seconds * 1e3;
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
    const double node_total = sum_of_medians(r.nodes);
    std::string out = fmt::format(
        "step time at batch {}: median {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms over {} steps "
        "(first left out); loader stall {:.3f} s ({:.2f}% of step time)\n",
        r.batch_size, r.steps.median * 1e3, r.steps.p90 * 1e3, r.steps.p99 * 1e3, r.steps.steps,
        r.stall_seconds, r.train_seconds > 0.0 ? 100.0 * r.stall_seconds / r.train_seconds : 0.0);
    out += fmt::format("{:<34} {:<9} {:>10} {:>6}  {:<24} {}\n", "node", "phase", "median ms",
                       "share", "implementation", "layout (in -> out)");
    std::vector<NodeTiming> sorted = r.nodes;
    std::stable_sort(sorted.begin(), sorted.end(), [](const NodeTiming& a, const NodeTiming& b) {
        return a.median_seconds > b.median_seconds;
    });
    std::size_t shown = 0;
    double shown_seconds = 0.0;
    for (const NodeTiming& n : sorted) {
        const double share = node_total > 0.0 ? n.median_seconds / node_total : 0.0;
        if (share < kSmallestNodeShown) continue;
        ++shown;
        shown_seconds += n.median_seconds;
        out += fmt::format("{:<34} {:<9} {:>10.3f} {:>5.1f}%  {:<24} {}\n", n.name, n.phase,
                           n.median_seconds * 1e3, 100.0 * share, n.implementation, n.layout);
    }
    if (shown < sorted.size()) {
        out += fmt::format(
            "({} of {} nodes shown, each at least {:.1f}% of the node time; the other "
            "{} add {:.1f}%: all are in timing.json)\n",
            shown, sorted.size(), 100.0 * kSmallestNodeShown, sorted.size() - shown,
            node_total > 0.0 ? 100.0 * (node_total - shown_seconds) / node_total : 0.0);
    }
    // The nodes' medians need not add up to the step's median; the difference is time between
    // nodes (the step's own bookkeeping) or, on a busy machine, how unevenly other work landed.
    out += fmt::format("the nodes' medians add up to {:.2f} ms of the step's {:.2f} ms median\n",
                       node_total * 1e3, r.steps.median * 1e3);
    return out;
}

}  // namespace vaednn
