#include "vaednn/safetensors.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace vaednn {
namespace {

using json = nlohmann::json;

std::uint64_t read_u64_le(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// Parses the header, refusing duplicate top-level names (nlohmann keeps the last silently).
json parse_header(const std::filesystem::path& file, const std::string& text) {
    std::set<std::string> names;
    std::string duplicate;
    const json::parser_callback_t callback = [&](int depth, json::parse_event_t event,
                                                 json& parsed) {
        if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            if (!names.insert(parsed.get<std::string>()).second && duplicate.empty()) {
                duplicate = parsed.get<std::string>();
            }
        }
        return true;
    };
    json header = json::parse(text, callback, /*allow_exceptions=*/false);
    if (header.is_discarded()) throw CheckpointError(file, "the header is not valid JSON");
    if (!header.is_object()) throw CheckpointError(file, "the header is not a JSON object");
    if (!duplicate.empty()) {
        throw CheckpointError(file, fmt::format("the header names tensor '{}' twice", duplicate));
    }
    return header;
}

std::size_t checked_size(const std::filesystem::path& file, const std::string& name,
                         const json& shape, std::vector<std::int64_t>& dims) {
    if (!shape.is_array())
        throw CheckpointError(file, fmt::format("tensor '{}': shape is not an array", name));
    std::size_t count = 1;
    for (const json& d : shape) {
        if (!d.is_number_unsigned()) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': shape {} holds a value that is not "
                                              "a non-negative integer",
                                              name, shape.dump()));
        }
        const auto value = d.get<std::uint64_t>();
        if (value > (std::uint64_t{1} << 40) || __builtin_mul_overflow(count, value, &count)) {
            throw CheckpointError(
                file, fmt::format("tensor '{}': shape {} is too large", name, shape.dump()));
        }
        dims.push_back(static_cast<std::int64_t>(value));
    }
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, sizeof(float), &bytes)) {
        throw CheckpointError(
            file, fmt::format("tensor '{}': shape {} is too large", name, shape.dump()));
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
    if (t == nullptr) throw CheckpointError(file, fmt::format("has no tensor '{}'", name));
    return *t;
}

SafetensorsFile read_safetensors(const std::filesystem::path& file,
                                 const SafetensorsLimits& limits) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CheckpointError(file, fmt::format("cannot open: {}", std::strerror(errno)));
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<std::size_t>(in.tellg());
    in.seekg(0);
    if (file_size > limits.max_file_bytes) {
        throw CheckpointError(file, fmt::format("is {} bytes, more than the limit of {}", file_size,
                                                limits.max_file_bytes));
    }
    unsigned char length_bytes[8];
    if (file_size < 8 || !in.read(reinterpret_cast<char*>(length_bytes), 8)) {
        throw CheckpointError(file,
                              "is too short to be a safetensors file (no 8-byte header length)");
    }
    const std::uint64_t header_length = read_u64_le(length_bytes);
    if (header_length < 2 || header_length > limits.max_header_bytes ||
        header_length > file_size - 8) {
        throw CheckpointError(
            file, fmt::format("header length {} is out of bounds (file is {} bytes)", header_length,
                              file_size));
    }
    std::string text(header_length, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(header_length))) {
        throw CheckpointError(file, "cannot read the header");
    }
    const json header = parse_header(file, text);

    SafetensorsFile result;
    result.file = file;
    std::vector<Entry> entries;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            if (!info.is_object()) throw CheckpointError(file, "__metadata__ is not an object");
            for (const auto& [key, value] : info.items()) {
                if (!value.is_string()) {
                    throw CheckpointError(file, fmt::format("metadata '{}' is not a string", key));
                }
                result.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
            !info.contains("data_offsets")) {
            throw CheckpointError(
                file, fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name));
        }
        if (info["dtype"] != "F32") {
            throw CheckpointError(
                file, fmt::format("tensor '{}' has dtype {}; only F32 is supported", name,
                                  info["dtype"].dump()));
        }
        Entry entry{name, {}, 0, 0};
        const std::size_t bytes = checked_size(file, name, info["shape"], entry.shape);
        const json& offsets = info["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned()) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': data_offsets is not two non-negative "
                                              "integers",
                                              name));
        }
        entry.begin = offsets[0].get<std::size_t>();
        entry.end = offsets[1].get<std::size_t>();
        if (entry.end < entry.begin || entry.end - entry.begin != bytes) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}': data_offsets [{}, {}] do not match its "
                                              "shape ({} bytes)",
                                              name, entry.begin, entry.end, bytes));
        }
        entries.push_back(std::move(entry));
    }

    // The data must be covered exactly, without gaps or overlaps.
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    const std::size_t data_size = file_size - 8 - header_length;
    std::size_t expected_begin = 0;
    for (const Entry& e : entries) {
        if (e.begin != expected_begin) {
            throw CheckpointError(file,
                                  fmt::format("tensor '{}' starts at byte {} of the data, expected "
                                              "{} (gap or overlap)",
                                              e.name, e.begin, expected_begin));
        }
        expected_begin = e.end;
    }
    if (expected_begin != data_size) {
        throw CheckpointError(file,
                              fmt::format("the tensors cover {} bytes but the file holds {} bytes "
                                          "of data",
                                          expected_begin, data_size));
    }

    for (const Entry& e : entries) {
        Tensor t{e.name, e.shape, std::vector<float>((e.end - e.begin) / sizeof(float))};
        if (!in.read(reinterpret_cast<char*>(t.values.data()),
                     static_cast<std::streamsize>(e.end - e.begin))) {
            throw CheckpointError(file, fmt::format("cannot read tensor '{}'", e.name));
        }
        result.tensors.push_back(std::move(t));
    }
    return result;
}

void write_safetensors(const std::filesystem::path& file, const std::vector<Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
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

    const std::filesystem::path tmp = file.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw CheckpointError(tmp, fmt::format("cannot create: {}", std::strerror(errno)));
    auto write_all = [&](const void* data, std::size_t size) {
        const auto* p = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t n = ::write(fd, p, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    };
    unsigned char length_bytes[8];
    std::uint64_t length = text.size();
    for (unsigned char& b : length_bytes) {
        b = static_cast<unsigned char>(length & 0xFF);
        length >>= 8;
    }
    bool ok = write_all(length_bytes, 8) && write_all(text.data(), text.size());
    // Fault injection for tests/faults.sh: die mid-file, as a power cut or SIGKILL would.
    static const bool kill_mid_write =
        std::getenv("VAEDNN_FAULT_KILL_IN_CHECKPOINT_WRITE") != nullptr;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (kill_mid_write && i == tensors.size() / 2) ::kill(::getpid(), SIGKILL);
        ok = ok && write_all(tensors[i].values.data(), tensors[i].values.size() * sizeof(float));
    }
    ok = ok && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        ::unlink(tmp.c_str());
        throw CheckpointError(file, fmt::format("cannot write: {}", std::strerror(saved_errno)));
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw CheckpointError(file,
                              fmt::format("cannot rename into place: {}", std::strerror(err)));
    }
    // The rename itself is durable once the directory is synced.
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace vaednn
