// What a run writes for people and tools to read: metrics.csv (one row per epoch) and timing.json
// (where the step's time goes), plus the same timing as a console table.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "vaednn/model.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {

// Writes the header and one row per epoch, replacing the file atomically (never truncated in
// place, so a full disk or a crash leaves the previous version). Values are written at
// round-trip precision, so identical runs write identical files. Throws IoError.
VAEDNN_EXPORT void write_metrics_csv(const std::filesystem::path& file,
                                     std::span<const EpochMetrics> rows);
// Reads the rows back (for a resumed run's loss curves); a missing file holds none. A last line
// cut short without its newline (a torn write by an older version) is left out. Throws Error on
// any other malformed row.
VAEDNN_EXPORT std::vector<EpochMetrics> read_metrics_csv(const std::filesystem::path& file);

struct StepStatistics {
    std::size_t steps = 0;                                  // measured, warm-up excluded
    double median = 0.0, p90 = 0.0, p99 = 0.0, mean = 0.0;  // seconds
};
// Percentiles of step times, leaving out the first `warmup` steps (graph building, JIT).
VAEDNN_EXPORT StepStatistics step_statistics(std::span<const double> step_seconds,
                                             std::size_t warmup = 1);

struct TimingReport {
    std::vector<NodeTiming> nodes;  // time per node over the profiled steps
    StepStatistics steps;
    std::size_t batch_size = 0;
    double train_seconds = 0.0;  // all training steps of this process
    double stall_seconds = 0.0;  // the training thread waiting for batches
    std::size_t images = 0;      // trained on by this process
    RuntimeInfo runtime;
    int threads = 0;                // compute threads used
    int threads_requested = 0;      // what --threads asked (0: the default, every usable CPU)
    std::string binarize = "none";  // the training images: none (grey levels) or dynamic
};

VAEDNN_EXPORT void write_timing_json(const std::filesystem::path& file, const TimingReport& report);
VAEDNN_EXPORT std::string format_timing_table(const TimingReport& report);

}  // namespace vaednn
