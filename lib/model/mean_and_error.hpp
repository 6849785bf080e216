// The mean of per-image values and its standard error, as an evaluation reports them: one
// definition for a run and for the pieces of a run combined, so both give the same numbers.
#pragma once

#include <cmath>
#include <span>

namespace vaednn::detail {

// Summed in order, so the same values in the same order give the same mean to the last bit.
inline double mean_of(std::span<const double> values) {
    double sum = 0.0;
    for (const double v : values) sum += v;
    return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

// The standard error of the mean: sample standard deviation / sqrt(n); 0 for a single value.
inline double standard_error_of(std::span<const double> values, double mean) {
    if (values.size() < 2) return 0.0;
    double squares = 0.0;
    for (const double v : values) squares += (v - mean) * (v - mean);
    const auto n = static_cast<double>(values.size());
    return std::sqrt(squares / (n - 1.0) / n);
}

}  // namespace vaednn::detail
