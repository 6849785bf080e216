// The mean of per-image values and its standard error, as an evaluation reports them: one
// definition for a run and for the pieces of a run combined, so both give the same numbers.
#pragma once

#include <cmath>
#include <span>

#include "vaednn/evaluation.hpp"

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

// The −ELBO and log p(x) of a result, and their standard errors, from its per-image values.
inline void summarize_per_image(LogLikelihoodResult& r) {
    r.negative_elbo = mean_of(r.per_image_negative_elbo);
    r.negative_elbo_standard_error = standard_error_of(r.per_image_negative_elbo, r.negative_elbo);
    r.log_likelihood = mean_of(r.per_image_log_likelihood);
    r.log_likelihood_standard_error =
        standard_error_of(r.per_image_log_likelihood, r.log_likelihood);
}

}  // namespace vaednn::detail
