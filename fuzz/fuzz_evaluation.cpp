// libFuzzer target: an evaluation report (vaednn::parse_evaluation_json), the JSON that
// `vae_eval --combine` reads from files of any origin, and the combination of what it accepts.
// Any input must give a report whose every field is in range, or a vaednn::Error with a bounded
// message — never a crash, a hang, a leak or a stack overflow.
//
// A report that parses is combined with itself moved past its own images, as two pieces of one
// run: the whole must hold both pieces' values and finite means.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path file = "fuzz.json";
    try {
        const vaednn::EvaluationReport report = vaednn::parse_evaluation_json(
            std::string_view(reinterpret_cast<const char*>(data), size), file);
        const vaednn::LogLikelihoodResult& r = report.result;
        if (r.images == 0 || r.samples == 0 || r.per_image_log_likelihood.size() != r.images ||
            r.per_image_negative_elbo.size() != r.images || report.checkpoint.size() > 4096 ||
            (report.split != "test" && report.split != "train") ||
            (report.binarize != "none" && report.binarize != "fixed") || !std::isfinite(r.kl)) {
            __builtin_trap();
        }
        vaednn::EvaluationReport next = report;
        next.first_image += r.images;
        const vaednn::EvaluationReport whole = vaednn::combine_evaluations({next, report});
        if (whole.result.images != 2 * r.images || whole.first_image != report.first_image ||
            !std::isfinite(whole.result.log_likelihood) ||
            !std::isfinite(whole.result.negative_elbo_standard_error)) {
            __builtin_trap();
        }
    } catch (const vaednn::Error& e) {
        // Messages quote the input only in short excerpts, however long the input.
        if (std::string_view(e.what()).size() > 1024) __builtin_trap();
    }
    return 0;
}
