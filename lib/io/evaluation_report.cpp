// The JSON report of an evaluation: written by vae_eval, read back to combine a run's pieces.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "formats/json_limits.hpp"
#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/safetensors.hpp"

namespace vaednn {

namespace {

using json = nlohmann::json;

// A report holds two numbers per image, ~50 bytes as vae_eval writes them: 8 MiB is ~170,000
// images, while the parsed JSON of a hostile file takes ~35 times its size (2.3 GB measured for
// 64 MiB of empty objects).
constexpr std::size_t kMaxReportBytes = std::size_t{8} << 20;
// Nats per image are hundreds; a bound far above them keeps every sum and square finite.
constexpr double kMaxMagnitude = 1e12;
// Paths and names are short; a field longer than this is not one.
constexpr std::size_t kMaxTextChars = 4096;

// A report file's bytes, up to one buffer past kMaxReportBytes (parse_evaluation_json refuses a
// text past the cap), from a regular file only: opened without blocking and checked on the open
// descriptor, so a FIFO or device is never waited on or read, even one put in the file's place
// after a look at its name. Not the formats library's ByteSource: that library exports none of its
// internals (packaging.install_shared checks the shared library's symbols), and a report is never
// gzip, which ByteSource would inflate.
std::string read_report_text(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw DataError(err == ENOENT ? DataErrorKind::missing_file : DataErrorKind::io, file,
                        fmt::format("cannot open: {}", std::strerror(err)));
    }
    const struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        throw DataError(DataErrorKind::io, file, "not a regular file: not an evaluation report");
    }
    std::string text;
    char buffer[1 << 16];
    while (true) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            throw DataError(DataErrorKind::io, file,
                            fmt::format("cannot read: {}", std::strerror(errno)));
        }
        if (got == 0) return text;
        text.append(buffer, static_cast<std::size_t>(got));
        if (text.size() > kMaxReportBytes) return text;
    }
}

// The fields of one report object, each checked as it is taken.
class ReportFields {
  public:
    ReportFields(const std::filesystem::path& file, const json& object)
        : file_(file), object_(object) {}

    const json& field(const char* name) const {
        const auto it = object_.find(name);
        if (it == object_.end()) fail(name, "is missing");
        return *it;
    }
    std::string text(const char* name) const {
        const json& value = field(name);
        if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxTextChars) {
            fail(name, fmt::format("is not a string of at most {} characters", kMaxTextChars));
        }
        const std::string& text = value.get_ref<const std::string&>();
        // Names and paths are printed: a control character could move a terminal's cursor.
        if (std::any_of(text.begin(), text.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
            fail(name, "holds control characters");
        }
        return text;
    }
    std::uint64_t count(const char* name, std::uint64_t least, std::uint64_t most) const {
        const json& value = field(name);
        if (!value.is_number_unsigned() || value.get<std::uint64_t>() < least ||
            value.get<std::uint64_t>() > most) {
            fail(name, fmt::format("is not a whole number from {} to {}", least, most));
        }
        return value.get<std::uint64_t>();
    }
    double number(const char* name) const { return finite(field(name), name); }
    std::vector<double> numbers(const char* name, std::size_t size) const {
        const json& value = field(name);
        if (!value.is_array() || value.size() != size) {
            fail(name, fmt::format("is not an array of {} numbers, one per image", size));
        }
        std::vector<double> out;
        out.reserve(size);
        for (const json& element : value) out.push_back(finite(element, name));
        return out;
    }

  private:
    double finite(const json& value, const char* name) const {
        if (!value.is_number() || !(std::fabs(value.get<double>()) <= kMaxMagnitude)) {
            fail(name, "holds something other than a number of magnitude at most 1e12");
        }
        return value.get<double>();
    }
    [[noreturn]] void fail(const char* name, const std::string& what) const {
        throw FileError(file_, fmt::format("field '{}' {}: not an evaluation report", name, what));
    }

    const std::filesystem::path& file_;
    const json& object_;
};

}  // namespace

void write_evaluation_json(const std::filesystem::path& file, const EvaluationReport& report) {
    const LogLikelihoodResult& r = report.result;
    json out = {
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
    if (!report.checkpoint_crc32.empty()) out["checkpoint_crc32"] = report.checkpoint_crc32;
    write_file_atomically(file, out.dump(2) + "\n");
}

std::string checkpoint_fingerprint(const SafetensorsFile& checkpoint) {
    if (!checkpoint.file_crc32) {
        throw Error("checkpoint_fingerprint: the checkpoint was not read from a file");
    }
    return fmt::format("{:08x}", *checkpoint.file_crc32);
}

EvaluationReport read_evaluation_json(const std::filesystem::path& file) {
    return parse_evaluation_json(read_report_text(file), file);
}

EvaluationReport parse_evaluation_json(std::string_view text, const std::filesystem::path& file) {
    if (text.size() > kMaxReportBytes) {
        throw FileError(file, fmt::format("larger than {} MiB: not an evaluation report",
                                          kMaxReportBytes >> 20));
    }
    // nlohmann's parser recurses once per level: a deep nest must be refused before it runs.
    if (detail::json_nesting_depth(text) > detail::kMaxJsonDepth) {
        throw FileError(file, "JSON nested too deeply: not an evaluation report");
    }
    // nlohmann keeps the last of two equal keys, where a reader of the file sees the first: a
    // report that names a field twice is refused.
    std::string repeated;
    std::vector<std::string> keys;
    const json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event,
                                                  json& parsed) {
        if (event == json::parse_event_t::key && depth == 1 && repeated.empty()) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (std::find(keys.begin(), keys.end(), key) != keys.end()) repeated = key;
            keys.push_back(key);
        }
        return true;
    };
    const json object = json::parse(text, note_keys, /*allow_exceptions=*/false);
    if (object.is_discarded()) throw FileError(file, "not JSON: not an evaluation report");
    if (!repeated.empty()) {
        throw FileError(file, fmt::format("field '{}' appears twice: not an evaluation report",
                                          detail::quoted_excerpt(repeated)));
    }
    if (!object.is_object()) throw FileError(file, "not a JSON object: not an evaluation report");
    const ReportFields fields(file, object);

    EvaluationReport report;
    report.checkpoint = fields.text("checkpoint");
    report.dataset = fields.text("dataset");
    report.data_dir = fields.text("data_dir");
    report.source = file.string();
    if (object.contains("checkpoint_crc32")) {
        report.checkpoint_crc32 = fields.text("checkpoint_crc32");
        const bool hex =
            report.checkpoint_crc32.size() == 8 &&
            std::all_of(report.checkpoint_crc32.begin(), report.checkpoint_crc32.end(),
                        [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
        if (!hex) throw FileError(file, "field 'checkpoint_crc32' is not 8 hex digits");
    }
    report.split = fields.text("split");
    report.binarize = fields.text("binarize");
    if (report.split != "test" && report.split != "train") {
        throw FileError(file, fmt::format("split '{}' is neither test nor train",
                                          detail::quoted_excerpt(report.split)));
    }
    if (report.binarize != "none" && report.binarize != "fixed") {
        throw FileError(file, fmt::format("binarize '{}' is neither none nor fixed",
                                          detail::quoted_excerpt(report.binarize)));
    }
    constexpr std::uint64_t kAny = std::numeric_limits<std::uint64_t>::max();
    constexpr std::uint64_t kMaxImages = kMaxReportBytes;  // each takes more than a byte
    // Far past any data set, and far from overflowing when images are added to it.
    constexpr std::uint64_t kMaxFirstImage = std::uint64_t{1} << 40;
    report.seed = fields.count("seed", 0, kAny);
    report.threads = static_cast<int>(fields.count("threads", 0, 1 << 20));
    // Reports written before --first existed began at image 0 and do not say so.
    report.first_image =
        object.contains("first_image") ? fields.count("first_image", 0, kMaxFirstImage) : 0;

    LogLikelihoodResult& r = report.result;
    r.images = fields.count("images", 1, kMaxImages);
    r.samples = fields.count("k", 1, kAny);
    r.negative_elbo = fields.number("negative_elbo");
    r.negative_elbo_standard_error = fields.number("negative_elbo_standard_error");
    r.reconstruction = fields.number("reconstruction");
    r.kl = fields.number("kl");
    r.log_likelihood = fields.number("log_likelihood");
    r.log_likelihood_standard_error = fields.number("log_likelihood_standard_error");
    r.seconds = fields.number("seconds");
    r.per_image_log_likelihood = fields.numbers("per_image_log_likelihood", r.images);
    r.per_image_negative_elbo = fields.numbers("per_image_negative_elbo", r.images);
    return report;
}

}  // namespace vaednn
