#include <nlohmann/json.hpp>

#include "vaednn/atomic_file.hpp"
#include "vaednn/evaluation.hpp"

namespace vaednn {

void write_evaluation_json(const std::filesystem::path& file, const EvaluationReport& report) {
    using json = nlohmann::json;
    const LogLikelihoodResult& r = report.result;
    const json out = {
        {"checkpoint", report.checkpoint},
        {"dataset", report.dataset},
        {"data_dir", report.data_dir},
        {"split", report.split},
        {"binarize", report.binarize},
        {"seed", report.seed},
        {"threads", report.threads},
        {"first_image", report.first_image},
        {"images", r.images},
        {"k", r.samples},
        {"negative_elbo", r.negative_elbo},
        {"negative_elbo_standard_error", r.negative_elbo_standard_error},
        {"reconstruction", r.reconstruction},
        {"kl", r.kl},
        {"log_likelihood", r.log_likelihood},
        {"log_likelihood_standard_error", r.log_likelihood_standard_error},
        {"seconds", r.seconds},
        {"per_image_log_likelihood", r.per_image_log_likelihood},
        {"per_image_negative_elbo", r.per_image_negative_elbo},
    };
    write_file_atomically(file, out.dump(2) + "\n");
}

}  // namespace vaednn
