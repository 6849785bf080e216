// An evaluation run in pieces (vae_eval --first, --limit), put back together: every image's
// numbers are those one run gives it, so the whole is the pieces' per-image values in order.
#include <fmt/format.h>

#include <algorithm>

#include "formats/json_limits.hpp"
#include "model/mean_and_error.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"

namespace vaednn {

namespace {

// A piece in an error: its images, and its file when it was read from one (a path of up to 256
// bytes whole, control characters escaped).
std::string describe(const EvaluationReport& piece) {
    const std::string images = fmt::format("images {}..{}", piece.first_image,
                                           piece.first_image + piece.result.images - 1);
    return piece.source.empty()
               ? images
               : fmt::format("{} ({})", images, detail::quoted_excerpt(piece.source, 256));
}

[[noreturn]] void differ(const char* what, const std::string& a, const EvaluationReport& first,
                         const std::string& b, const EvaluationReport& other) {
    throw ConfigError(fmt::format("the pieces differ in {}: {} for {}, {} for {}", what,
                                  detail::quoted_excerpt(a), describe(first),
                                  detail::quoted_excerpt(b), describe(other)));
}

// What one run shares between its pieces, but the checkpoint's fingerprint (below).
void expect_same_run(const EvaluationReport& first, const EvaluationReport& other) {
    const auto same = [&](const char* what, const auto& a, const auto& b) {
        if (a != b) differ(what, fmt::format("{}", a), first, fmt::format("{}", b), other);
    };
    // The same bytes wherever they lie: paths are compared only where a fingerprint is missing.
    if (first.checkpoint_crc32.empty() || other.checkpoint_crc32.empty()) {
        same("checkpoint", first.checkpoint, other.checkpoint);
    }
    same("dataset", first.dataset, other.dataset);
    same("split", first.split, other.split);
    same("binarization", first.binarize, other.binarize);
    same("seed", first.seed, other.seed);
    same("k", first.result.samples, other.result.samples);
}

}  // namespace

EvaluationReport combine_evaluations(std::vector<EvaluationReport> pieces) {
    if (pieces.empty()) throw ConfigError("combine_evaluations: no pieces to combine");
    for (const EvaluationReport& piece : pieces) {
        const LogLikelihoodResult& r = piece.result;
        if (r.images == 0 || r.per_image_log_likelihood.size() != r.images ||
            r.per_image_negative_elbo.size() != r.images) {
            throw ConfigError(fmt::format(
                "combine_evaluations: a piece of {} images holds {} and {} per-image values",
                r.images, r.per_image_log_likelihood.size(), r.per_image_negative_elbo.size()));
        }
    }
    std::sort(pieces.begin(), pieces.end(),
              [](const auto& a, const auto& b) { return a.first_image < b.first_image; });
    const EvaluationReport& front = pieces.front();
    EvaluationReport whole = front;
    whole.source.clear();
    // The first piece that records the checkpoint's fingerprint: every other that does must match.
    const EvaluationReport* fingerprinted = front.checkpoint_crc32.empty() ? nullptr : &front;
    LogLikelihoodResult& r = whole.result;
    double reconstruction_sum = r.reconstruction * static_cast<double>(r.images);
    double kl_sum = r.kl * static_cast<double>(r.images);
    for (std::size_t p = 1; p < pieces.size(); ++p) {
        const EvaluationReport& piece = pieces[p];
        expect_same_run(front, piece);
        if (!piece.checkpoint_crc32.empty()) {
            if (fingerprinted == nullptr) {
                fingerprinted = &piece;
                whole.checkpoint_crc32 = piece.checkpoint_crc32;
            } else if (piece.checkpoint_crc32 != fingerprinted->checkpoint_crc32) {
                differ("checkpoint (its CRC-32)", fingerprinted->checkpoint_crc32, *fingerprinted,
                       piece.checkpoint_crc32, piece);
            }
        }
        const std::size_t next = whole.first_image + r.images;
        if (piece.first_image > next) {
            throw ConfigError(
                fmt::format("the pieces leave out images {}..{}: {} ends at image "
                            "{}, {} begins at {}",
                            next, piece.first_image - 1, describe(pieces[p - 1]), next - 1,
                            describe(piece), piece.first_image));
        }
        if (piece.first_image < next) {
            const std::size_t last = std::min(next, piece.first_image + piece.result.images) - 1;
            throw ConfigError(fmt::format("the pieces both hold images {}..{}: {} and {}",
                                          piece.first_image, last, describe(pieces[p - 1]),
                                          describe(piece)));
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
    r.reconstruction = reconstruction_sum / static_cast<double>(r.images);
    r.kl = kl_sum / static_cast<double>(r.images);
    detail::summarize_per_image(r);
    return whole;
}

}  // namespace vaednn
