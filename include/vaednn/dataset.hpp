// Datasets of 8-bit grey images with labels 0..9, loaded from the four standard IDX files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "vaednn/export.hpp"
#include "vaednn/idx.hpp"

namespace vaednn {

// N images of rows x cols unsigned-byte pixels, with one label each.
struct ImageSet {
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols, image-major, row-major within
    std::vector<std::uint8_t> labels;  // count, each in 0..9

    std::size_t pixels_per_image() const noexcept { return rows * cols; }
    std::span<const std::uint8_t> image(std::size_t i) const noexcept {
        return {pixels.data() + i * pixels_per_image(), pixels_per_image()};
    }
};

struct Dataset {
    std::string name;           // e.g. "mnist"
    std::filesystem::path dir;  // where its files were read
    ImageSet train;
    ImageSet test;
};

// Reads one split from its images file (rank 3) and labels file (rank 1), and checks that they
// agree on the count and that every label is a digit. Each file may claim limits.max_bytes, the
// two together limits.max_total_bytes.
VAEDNN_EXPORT ImageSet load_image_set(const std::filesystem::path& images_file,
                                      const std::filesystem::path& labels_file,
                                      const IdxLimits& limits = {});

// The path of an IDX file named `stem` (e.g. "train-images-idx3-ubyte") in `dir`, raw or with a
// .gz suffix. Throws DataError(missing_file) when neither exists.
VAEDNN_EXPORT std::filesystem::path find_idx_file(const std::filesystem::path& dir,
                                                  const std::string& stem);

// Reads the four standard files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; each raw or .gz) from `dir`.
// Both splits must have the same image size. Each file may claim limits.max_bytes, the four
// together limits.max_total_bytes; pass smaller limits to read within a tighter budget.
VAEDNN_EXPORT Dataset load_dataset(const std::filesystem::path& dir, std::string name,
                                   const IdxLimits& limits = {});

// Where a dataset known by name lives unless the user says otherwise: "mnist" under
// `data_root`/mnist (written by scripts/setup.sh), "fashion-mnist" in Debian's
// dataset-fashion-mnist package. Throws ConfigError for an unknown name.
VAEDNN_EXPORT std::filesystem::path default_dataset_dir(const std::string& name,
                                                        const std::filesystem::path& data_root);

// The names default_dataset_dir knows.
VAEDNN_EXPORT std::vector<std::string> known_dataset_names();

// Summary statistics of an image set, for reports and sanity checks.
struct ImageSetSummary {
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;
    double pixel_mean = 0.0;  // over all pixels, scaled to [0, 1]
    std::array<std::size_t, 10> label_counts{};
};

VAEDNN_EXPORT ImageSetSummary summarize(const ImageSet& set);

}  // namespace vaednn
