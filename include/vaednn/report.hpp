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

// Appends one epoch's row, writing the header first when the file is new. Values are written at
// round-trip precision, so identical runs write identical files.
void append_metrics_csv(const std::filesystem::path& file, const EpochMetrics& metrics);
// Reads the rows back (for a resumed run's loss curves). Throws Error on a malformed file.
std::vector<EpochMetrics> read_metrics_csv(const std::filesystem::path& file);

struct StepStatistics {
    std::size_t steps = 0;                                  // measured, warm-up excluded
    double median = 0.0, p90 = 0.0, p99 = 0.0, mean = 0.0;  // seconds
};
// Percentiles of step times, leaving out the first `warmup` steps (graph building, JIT).
StepStatistics step_statistics(std::span<const double> step_seconds, std::size_t warmup = 1);

struct TimingReport {
    std::vector<NodeTiming> nodes;  // mean time per node over the profiled steps
    StepStatistics steps;
    std::size_t batch_size = 0;
    double train_seconds = 0.0;  // all training steps of this process
    double stall_seconds = 0.0;  // the training thread waiting for batches
    std::size_t images = 0;      // trained on by this process
    RuntimeInfo runtime;
    int threads = 0;
};

void write_timing_json(const std::filesystem::path& file, const TimingReport& report);
std::string format_timing_table(const TimingReport& report);

}  // namespace vaednn
