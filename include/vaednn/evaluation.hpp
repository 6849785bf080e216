// Held-out evaluation of a trained model: the negative ELBO (reconstruction and KL apart) and the
// importance-sampled log-likelihood of Burda et al. (IWAE),
//   log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x),   z_i ~ q(z|x),
// which is a lower bound on log p(x) in expectation that tightens as k grows, and equals the
// single-sample ELBO in expectation for k = 1.
//
// Each batch of images is encoded once; its k samples per image are then decoded in fixed-size
// chunks through the model's inference graph, so memory stays bounded whatever k is. The noise of
// sample s of image j is a pure function of (seed, j, s): results do not depend on the chunk size,
// the thread count or which images are evaluated together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vaednn/export.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

struct SafetensorsFile;

struct LogLikelihoodOptions {
    std::size_t samples = 5000;  // k, importance samples per image (at least 1)
    std::uint64_t seed = 0;      // picks the noise; the model's own noise streams are untouched
    // Rows decoded per run of the inference graph (and images encoded per run); 0: the model's
    // reference batch. Changes the speed and memory only, not the result.
    std::size_t chunk = 0;
    // The index of images[0] within its set: the noise of image j is drawn for first_image + j,
    // so evaluating a set in pieces gives the same numbers as evaluating it whole.
    std::size_t first_image = 0;
};

struct EvaluationProgress {
    std::size_t samples_done = 0;  // images x k decoded so far
    std::size_t samples_total = 0;
    std::size_t images_done = 0;  // images whose estimate is complete
    std::size_t images_total = 0;
};
using EvaluationCallback = std::function<void(const EvaluationProgress&)>;

// Nats per image; means over the images, with the standard error of each mean.
struct LogLikelihoodResult {
    std::size_t images = 0;
    std::size_t samples = 0;  // k
    // The single-sample negative ELBO, from each image's first importance sample z_0 and the
    // analytic KL: reconstruction = -log p(x|z_0), kl = KL(q(z|x) || N(0, I)).
    double reconstruction = 0.0;
    double kl = 0.0;
    double negative_elbo = 0.0;
    double negative_elbo_standard_error = 0.0;
    double log_likelihood = 0.0;  // mean of the per-image estimates of log p(x)
    double log_likelihood_standard_error = 0.0;
    std::vector<double> per_image_log_likelihood;
    std::vector<double> per_image_negative_elbo;
    double seconds = 0.0;
};

// Evaluates `images` (N x rows x cols floats in [0, 1]; grey levels are allowed as targets, as
// training uses them) on the model's inference path. `progress` is called after every chunk, on
// the calling thread. Throws ConfigError for an empty or ragged image set or k = 0.
VAEDNN_EXPORT LogLikelihoodResult estimate_log_likelihood(Vae& vae, std::span<const float> images,
                                                          const LogLikelihoodOptions& options,
                                                          const EvaluationCallback& progress = {});

// What an evaluation ran on, for its report.
struct EvaluationReport {
    std::string checkpoint;
    std::string dataset;
    std::string data_dir;
    std::string split;     // "test" or "train"
    std::string binarize;  // "none" or "fixed"
    std::uint64_t seed = 0;
    int threads = 0;
    LogLikelihoodResult result;
    std::size_t first_image = 0;  // the split's index of the first image evaluated
    // The checkpoint file's CRC-32 as 8 hex digits (checkpoint_fingerprint): pieces run on
    // different machines name the same checkpoint by different paths, and a path may name a
    // checkpoint overwritten since. Empty in reports written before it was recorded.
    std::string checkpoint_crc32;
    // The file a report was read from (read_evaluation_json), for messages; never written.
    std::string source;
};

// The CRC-32 of a checkpoint file's bytes as 8 hex digits, for EvaluationReport: of the bytes
// read_safetensors read, so the report names the model evaluated even when the file was replaced
// during a run of hours (reading the path again at the end would name the new one). Throws Error
// for a file read_safetensors did not read.
VAEDNN_EXPORT std::string checkpoint_fingerprint(const SafetensorsFile& checkpoint);

// Writes the report as one JSON object, per-image values included, atomically. Throws IoError.
VAEDNN_EXPORT void write_evaluation_json(const std::filesystem::path& file,
                                         const EvaluationReport& report);

// Reads a report that write_evaluation_json wrote. Every value is checked, as a file from
// anywhere may hold anything: each field present with its type, numbers finite, counts in range,
// one per-image value per image. Throws DataError when the file cannot be read (missing, not a
// regular file) and FileError naming the file and the field when it is not such a report.
VAEDNN_EXPORT EvaluationReport read_evaluation_json(const std::filesystem::path& file);
// The same for a report's text; `file` only names it in errors.
VAEDNN_EXPORT EvaluationReport parse_evaluation_json(std::string_view text,
                                                     const std::filesystem::path& file);

// The report of one run over all the images that `pieces` evaluated in parts (--first and
// --limit): their per-image values in image order, and their means and standard errors exactly
// as such a run gives them; reconstruction and KL are the pieces' means weighted by their images
// (such a run's to rounding), seconds their sum, threads the most any used. The pieces may come in
// any order; they must be of one checkpoint (the same CRC-32 where both pieces record it, else the
// same path), dataset, split, binarization, seed and k, and cover one range of images without a gap
// or an overlap. Throws ConfigError naming what differs and the pieces' files (`source`) otherwise.
VAEDNN_EXPORT EvaluationReport combine_evaluations(std::vector<EvaluationReport> pieces);

}  // namespace vaednn
