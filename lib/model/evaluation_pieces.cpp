// An evaluation run in pieces (vae_eval --first, --limit), put back together: every image's
// numbers are those one run gives it, so the whole is the pieces' per-image values in order.
#include <fmt/format.h>

#include <algorithm>

#include "model/mean_and_error.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"

namespace vaednn {

namespace {

// One line naming a piece in an error: which images of which file it holds.
std::string describe(const EvaluationReport& piece) {
    return fmt::format("images {}..{} of {}", piece.first_image,
                       piece.first_image + piece.result.images - 1, piece.checkpoint);
}

void expect_same(const EvaluationReport& first, const EvaluationReport& other) {
    const auto differ = [&](const char* what, const auto& a, const auto& b) {
        if (a == b) return;
        throw ConfigError(fmt::format("the pieces differ in {}: {} for {}, {} for {}", what, a,
                                      describe(first), b, describe(other)));
    };
    differ("checkpoint", first.checkpoint, other.checkpoint);
    differ("dataset", first.dataset, other.dataset);
    differ("split", first.split, other.split);
    differ("binarization", first.binarize, other.binarize);
    differ("seed", first.seed, other.seed);
    differ("k", first.result.samples, other.result.samples);
}

}  // namespace

EvaluationReport combine_evaluations(std::vector<EvaluationReport> pieces) {
    if (pieces.empty()) throw ConfigError("combine_evaluations: no pieces to combine");
    std::sort(pieces.begin(), pieces.end(),
              [](const auto& a, const auto& b) { return a.first_image < b.first_image; });
    EvaluationReport whole = pieces.front();
    LogLikelihoodResult& r = whole.result;
    double reconstruction_sum = r.reconstruction * static_cast<double>(r.images);
    double kl_sum = r.kl * static_cast<double>(r.images);
    for (std::size_t p = 1; p < pieces.size(); ++p) {
        const EvaluationReport& piece = pieces[p];
        expect_same(whole, piece);
        const std::size_t next = whole.first_image + r.images;
        if (piece.first_image > next) {
            throw ConfigError(fmt::format(
                "the pieces leave out images {}..{}: one ends at image {}, the next begins at {}",
                next, piece.first_image - 1, next - 1, piece.first_image));
        }
        if (piece.first_image < next) {
            const std::size_t last = std::min(next, piece.first_image + piece.result.images) - 1;
            throw ConfigError(
                fmt::format("the pieces both hold images {}..{}: one ends at image "
                            "{}, the next begins at {}",
                            piece.first_image, last, next - 1, piece.first_image));
        }
        const LogLikelihoodResult& part = piece.result;
        r.images += part.images;
        r.per_image_log_likelihood.insert(r.per_image_log_likelihood.end(),
                                          part.per_image_log_likelihood.begin(),
                                          part.per_image_log_likelihood.end());
        r.per_image_negative_elbo.insert(r.per_image_negative_elbo.end(),
                                         part.per_image_negative_elbo.begin(),
                                         part.per_image_negative_elbo.end());
        reconstruction_sum += part.reconstruction * static_cast<double>(part.images);
        kl_sum += part.kl * static_cast<double>(part.images);
        r.seconds += part.seconds;
        whole.threads = std::max(whole.threads, piece.threads);
    }
    if (r.per_image_log_likelihood.size() != r.images ||
        r.per_image_negative_elbo.size() != r.images) {
        throw ConfigError(
            "combine_evaluations: a piece's per-image values do not match its images");
    }
    r.reconstruction = reconstruction_sum / static_cast<double>(r.images);
    r.kl = kl_sum / static_cast<double>(r.images);
    r.negative_elbo = detail::mean_of(r.per_image_negative_elbo);
    r.negative_elbo_standard_error =
        detail::standard_error_of(r.per_image_negative_elbo, r.negative_elbo);
    r.log_likelihood = detail::mean_of(r.per_image_log_likelihood);
    r.log_likelihood_standard_error =
        detail::standard_error_of(r.per_image_log_likelihood, r.log_likelihood);
    return whole;
}

}  // namespace vaednn
