#include "vaednn/dataset.hpp"

#include <fmt/format.h>

#include <numeric>

#include "vaednn/error.hpp"

namespace vaednn {
namespace {

constexpr std::uint8_t kMaxLabel = 9;
// Debian's dataset-fashion-mnist package.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Reads one split; both files' claims come out of `budget`, which the caller may share with
// other files.
ImageSet read_image_set(const std::filesystem::path& images_file,
                        const std::filesystem::path& labels_file, const IdxLimits& limits,
                        IdxBudget& budget) {
    IdxArray images = read_idx(images_file, 3, limits, budget);
    IdxArray labels = read_idx(labels_file, 1, limits, budget);

    if (labels.dims[0] != images.dims[0]) {
        throw DataError(DataErrorKind::count_mismatch, labels_file,
                        fmt::format("holds {} labels but {} holds {} images", labels.dims[0],
                                    images_file.string(), images.dims[0]));
    }
    for (std::size_t i = 0; i < labels.bytes.size(); ++i) {
        if (labels.bytes[i] > kMaxLabel) {
            throw DataError(
                DataErrorKind::bad_label, labels_file,
                fmt::format("label {} of item {} is not a digit 0..9", labels.bytes[i], i));
        }
    }

    ImageSet set;
    set.count = images.dims[0];
    set.rows = images.dims[1];
    set.cols = images.dims[2];
    set.pixels = std::move(images.bytes);
    set.labels = std::move(labels.bytes);
    return set;
}

}  // namespace

ImageSet load_image_set(const std::filesystem::path& images_file,
                        const std::filesystem::path& labels_file, const IdxLimits& limits) {
    IdxBudget budget(limits);
    return read_image_set(images_file, labels_file, limits, budget);
}

std::filesystem::path find_idx_file(const std::filesystem::path& dir, const std::string& stem) {
    for (const auto& candidate : {dir / stem, dir / (stem + ".gz")}) {
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec)) return candidate;
    }
    throw DataError(
        DataErrorKind::missing_file, dir / stem,
        fmt::format("no such file, raw or .gz (is {} a dataset directory?)", dir.string()));
}

Dataset load_dataset(const std::filesystem::path& dir, std::string name, const IdxLimits& limits) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw DataError(DataErrorKind::missing_file, dir,
                        "dataset directory does not exist (scripts/setup.sh writes the default "
                        "MNIST under data/mnist)");
    }
    Dataset data;
    data.name = std::move(name);
    data.dir = dir;
    // One budget for all four files: IdxLimits::max_total_bytes bounds the whole dataset.
    IdxBudget budget(limits);
    data.train = read_image_set(find_idx_file(dir, "train-images-idx3-ubyte"),
                                find_idx_file(dir, "train-labels-idx1-ubyte"), limits, budget);
    data.test = read_image_set(find_idx_file(dir, "t10k-images-idx3-ubyte"),
                               find_idx_file(dir, "t10k-labels-idx1-ubyte"), limits, budget);
    if (data.train.rows != data.test.rows || data.train.cols != data.test.cols) {
        throw DataError(
            DataErrorKind::bad_shape, dir,
            fmt::format("train images are {}x{} but test images are {}x{}", data.train.rows,
                        data.train.cols, data.test.rows, data.test.cols));
    }
    return data;
}

std::filesystem::path default_dataset_dir(const std::string& name,
                                          const std::filesystem::path& data_root) {
    if (name == "mnist") return data_root / "mnist";
    if (name == "fashion-mnist") return kFashionMnistDir;
    throw ConfigError(fmt::format("unknown dataset '{}'; known: {}", name,
                                  fmt::join(known_dataset_names(), ", ")));
}

std::vector<std::string> known_dataset_names() {
    return {"mnist", "fashion-mnist"};
}

ImageSetSummary summarize(const ImageSet& set) {
    ImageSetSummary summary;
    summary.count = set.count;
    summary.rows = set.rows;
    summary.cols = set.cols;
    const std::uint64_t sum =
        std::accumulate(set.pixels.begin(), set.pixels.end(), std::uint64_t{0});
    if (!set.pixels.empty()) {
        summary.pixel_mean =
            static_cast<double>(sum) / (255.0 * static_cast<double>(set.pixels.size()));
    }
    for (std::uint8_t label : set.labels) ++summary.label_counts[label];
    return summary;
}

}  // namespace vaednn
