#include "vaednn/safetensors.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "formats/byte_source.hpp"
#include "formats/json_limits.hpp"
#include "vaednn/atomic_file.hpp"

namespace vaednn {
namespace {

using json = nlohmann::json;

std::uint64_t read_u64_le(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// `text` (a tensor name, a key, a dumped value: anything from the file) for an error message:
// a bounded excerpt, cut between UTF-8 characters (nlohmann refuses to print a string that ends
// inside one, should the message ever go into JSON), with control characters escaped so that a
// name cannot rewrite the terminal.
std::string shown(std::string_view text) {
    return detail::quoted_excerpt(text);
}

// A JSON value from the file for an error message (the header's depth is capped before parsing,
// so dump() cannot recurse deeply).
std::string shown_json(const json& value) {
    return shown(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Reads exactly `size` bytes: 0 when it did, else errno, or -1 at the end of the file. `crc`
// takes in the CRC-32 of every byte read.
int read_exact(int fd, void* data, std::size_t size, std::uint32_t& crc) {
    auto* p = static_cast<unsigned char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, std::min<std::size_t>(size, std::size_t{1} << 30));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return -1;
        crc = static_cast<std::uint32_t>(crc32_z(crc, p, static_cast<std::size_t>(n)));
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

std::string read_failure(int err) {
    return err < 0 ? std::string("the file ends early (was it truncated while being read?)")
                   : std::string(std::strerror(err));
}

// The header's first pass, without building anything: counts its values and refuses a key
// repeated within one object (nlohmann keeps the last silently, so two readers could see two
// different files: a tensor named twice, a metadata field given twice, a tensor's "shape" given
// twice). Stops at the first fault. nlohmann's callback parser would do the same in one pass, but
// it rescans the enclosing array or object each time an object ends: quadratic in a header like
// [{},{},...], hours for 16 MiB.
class HeaderScan : public nlohmann::json_sax<json> {
  public:
    explicit HeaderScan(std::size_t max_values) : max_values_(max_values) {}

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override {
        open_objects_.emplace_back();
        return value();
    }
    bool end_object() override {
        open_objects_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override { return value(); }
    bool end_array() override { return true; }
    bool key(string_t& name) override {
        if (!open_objects_.back().insert(name).second) {
            duplicate_ = name;
            duplicate_is_tensor_ = open_objects_.size() == 1;
            return false;
        }
        return value();  // a key costs about what a value does
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        invalid_ = true;
        return false;
    }

    bool invalid() const noexcept { return invalid_; }
    bool too_many_values() const noexcept { return values_ > max_values_; }
    const std::string& duplicate() const noexcept { return duplicate_; }
    bool duplicate_is_tensor() const noexcept { return duplicate_is_tensor_; }

  private:
    bool value() { return ++values_ <= max_values_; }

    std::size_t max_values_;
    std::size_t values_ = 0;
    std::vector<std::set<std::string>> open_objects_;  // the keys seen in each enclosing object
    std::string duplicate_;
    bool duplicate_is_tensor_ = false;
    bool invalid_ = false;
};

// Parses the header: its nesting is checked first (nlohmann's dump() recurses once per level),
// then HeaderScan's rules, and only then is it built.
json parse_header(const std::filesystem::path& file, const std::string& text,
                  const SafetensorsLimits& limits) {
    if (detail::json_nesting_depth(text) > detail::kMaxJsonDepth) {
        throw CheckpointError(
            file, fmt::format("the header nests deeper than {} levels", detail::kMaxJsonDepth));
    }
    HeaderScan scan(limits.max_header_values);
    if (!json::sax_parse(text, &scan)) {
        if (scan.invalid()) throw CheckpointError(file, "the header is not valid JSON");
        if (scan.too_many_values()) {
            throw CheckpointError(file, fmt::format("the header holds more than {} values",
                                                    limits.max_header_values));
        }
        throw CheckpointError(
            file, scan.duplicate_is_tensor()
                      ? fmt::format("the header names tensor '{}' twice", shown(scan.duplicate()))
                      : fmt::format("the header gives key '{}' twice in one object",
                                    shown(scan.duplicate())));
    }
    json header = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) throw CheckpointError(file, "the header is not valid JSON");
    if (!header.is_object()) throw CheckpointError(file, "the header is not a JSON object");
    return header;
}

// The size in bytes of a float32 tensor of `shape`, which is stored in `dims`; `shown_name` is
// already bounded for messages.
std::size_t checked_size(const std::filesystem::path& file, const std::string& shown_name,
                         const json& shape, std::vector<std::int64_t>& dims) {
    if (!shape.is_array()) {
        throw CheckpointError(file, fmt::format("tensor '{}': shape is not an array", shown_name));
    }
    std::size_t count = 1;
    for (const json& d : shape) {
        if (!d.is_number_unsigned()) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': shape {} holds a value that is not "
                                              "a non-negative integer",
                                              shown_name, shown_json(shape)));
        }
        const auto value = d.get<std::uint64_t>();
        if (value > (std::uint64_t{1} << 40) || __builtin_mul_overflow(count, value, &count)) {
            throw CheckpointError(file, fmt::format("tensor '{}': shape {} is too large",
                                                    shown_name, shown_json(shape)));
        }
        dims.push_back(static_cast<std::int64_t>(value));
    }
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, sizeof(float), &bytes)) {
        throw CheckpointError(
            file, fmt::format("tensor '{}': shape {} is too large", shown_name, shown_json(shape)));
    }
    return bytes;
}

struct Entry {
    std::string name;
    std::vector<std::int64_t> shape;
    std::size_t begin = 0, end = 0;
};

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const noexcept {
    for (const Tensor& t : tensors) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
    const Tensor* t = find(name);
    if (t == nullptr) {
        throw CheckpointError(file, fmt::format("has no tensor '{}'", shown(name)));
    }
    return *t;
}

SafetensorsFile read_safetensors(const std::filesystem::path& file,
                                 const SafetensorsLimits& limits) {
    // Only a regular file is read. Refused before it is opened where possible (opening a device
    // can act: a tape rewinds, a watchdog starts), and checked again on the descriptor in case the
    // name changed in between. O_NONBLOCK: opening a FIFO must not wait for a writer; for a
    // regular file the flag changes nothing. Everything is read through this one descriptor, so
    // the file checked is the file read.
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        throw CheckpointError(file, "is not a regular file");
    }
    const detail::FileDescriptor fd(
        ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) {
        throw CheckpointError(file, fmt::format("cannot open: {}", std::strerror(errno)));
    }
    if (::fstat(fd.get(), &st) != 0) {
        throw CheckpointError(file, fmt::format("cannot stat: {}", std::strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) throw CheckpointError(file, "is not a regular file");
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    if (file_size > limits.max_file_bytes) {
        throw CheckpointError(file, fmt::format("is {} bytes, more than the limit of {}", file_size,
                                                limits.max_file_bytes));
    }
    // The CRC-32 of every byte read: the file as it was read, whatever replaces it later.
    std::uint32_t crc = 0;
    unsigned char length_bytes[8];
    if (file_size < 8) {
        throw CheckpointError(file,
                              "is too short to be a safetensors file (no 8-byte header length)");
    }
    if (const int err = read_exact(fd.get(), length_bytes, 8, crc); err != 0) {
        throw CheckpointError(file,
                              fmt::format("cannot read the header length: {}", read_failure(err)));
    }
    const std::uint64_t header_length = read_u64_le(length_bytes);
    if (header_length < 2 || header_length > limits.max_header_bytes ||
        header_length > file_size - 8) {
        throw CheckpointError(
            file, fmt::format("header length {} is out of bounds (file is {} bytes)", header_length,
                              file_size));
    }
    std::string text(header_length, '\0');
    if (const int err = read_exact(fd.get(), text.data(), text.size(), crc); err != 0) {
        throw CheckpointError(file, fmt::format("cannot read the header: {}", read_failure(err)));
    }
    const json header = parse_header(file, text, limits);
    text = std::string();  // the parsed header holds it all

    SafetensorsFile result;
    result.file = file;
    std::vector<Entry> entries;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            if (!info.is_object()) throw CheckpointError(file, "__metadata__ is not an object");
            for (const auto& [key, value] : info.items()) {
                if (!value.is_string()) {
                    throw CheckpointError(file,
                                          fmt::format("metadata '{}' is not a string", shown(key)));
                }
                result.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        const std::string shown_name = shown(name);
        if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
            !info.contains("data_offsets")) {
            throw CheckpointError(
                file, fmt::format("tensor '{}' lacks dtype, shape or data_offsets", shown_name));
        }
        const json& dtype = info.at("dtype");
        if (dtype != "F32") {
            throw CheckpointError(
                file, fmt::format("tensor '{}' has dtype {}; only F32 is supported", shown_name,
                                  shown_json(dtype)));
        }
        Entry entry{name, {}, 0, 0};
        const std::size_t bytes = checked_size(file, shown_name, info.at("shape"), entry.shape);
        const json& offsets = info.at("data_offsets");
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned()) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': data_offsets is not two non-negative "
                                              "integers",
                                              shown_name));
        }
        entry.begin = offsets[0].get<std::size_t>();
        entry.end = offsets[1].get<std::size_t>();
        if (entry.end < entry.begin || entry.end - entry.begin != bytes) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': data_offsets [{}, {}] do not match its "
                                              "shape ({} bytes)",
                                              shown_name, entry.begin, entry.end, bytes));
        }
        entries.push_back(std::move(entry));
    }

    // The data must be covered exactly, without gaps or overlaps. Sorted by (begin, end), so that
    // empty tensors sharing an offset with a non-empty one are accepted whatever their order in
    // the header (by begin alone, std::sort's order of ties decided).
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const std::uint64_t data_size = file_size - 8 - header_length;  // both checked above
    std::uint64_t expected_begin = 0;
    for (const Entry& e : entries) {
        if (e.begin != expected_begin) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}' starts at byte {} of the data, expected "
                                              "{} (gap or overlap)",
                                              shown(e.name), e.begin, expected_begin));
        }
        expected_begin = e.end;
    }
    if (expected_begin != data_size) {
        throw CheckpointError(file,
                              fmt::format("the tensors cover {} bytes but the file holds {} bytes "
                                          "of data",
                                          expected_begin, data_size));
    }

    // Every size below is bounded by the file's length, checked above.
    result.tensors.reserve(entries.size());
    for (Entry& e : entries) {
        Tensor t{std::move(e.name), std::move(e.shape),
                 std::vector<float>((e.end - e.begin) / sizeof(float))};
        if (const int err = read_exact(fd.get(), t.values.data(), e.end - e.begin, crc); err != 0) {
            throw CheckpointError(
                file, fmt::format("cannot read tensor '{}': {}", shown(t.name), read_failure(err)));
        }
        result.tensors.push_back(std::move(t));
    }
    result.file_crc32 = crc;
    return result;
}

void write_safetensors(const std::filesystem::path& file, const std::vector<Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       const AtomicWriteHooks& hooks) {
    json header = json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::size_t offset = 0;
    for (const Tensor& t : tensors) {
        const std::size_t bytes = t.values.size() * sizeof(float);
        header[t.name] = {
            {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned

    unsigned char length_bytes[8];
    std::uint64_t length = text.size();
    for (unsigned char& b : length_bytes) {
        b = static_cast<unsigned char>(length & 0xFF);
        length >>= 8;
    }
    write_file_atomically(
        file,
        [&](FileSink& sink) {
            sink.write(length_bytes, sizeof length_bytes);
            sink.write(text);
            for (const Tensor& t : tensors) {
                sink.write(t.values.data(), t.values.size() * sizeof(float));
            }
        },
        hooks);
}

}  // namespace vaednn
