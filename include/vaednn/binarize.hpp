// Binarised images: each pixel p in [0, 1] becomes 1 with probability p and 0 otherwise, the
// usual stochastic binarisation of MNIST for a Bernoulli likelihood. A draw is a pure function of
// (seed, epoch, image index, pixel), so any thread count, batch split or data order, and a resumed
// run, see the same bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "vaednn/export.hpp"

namespace vaednn {

enum class Binarization {
    none,     // grey levels as they are
    dynamic,  // a fresh draw every epoch (training)
    fixed,    // one seeded draw for good (evaluation sets)
};

VAEDNN_EXPORT std::string to_string(Binarization binarization);
// "none", "dynamic" or "fixed"; throws ConfigError otherwise.
VAEDNN_EXPORT Binarization binarization_from_string(const std::string& name);

// Binarises `images` (whole images of `pixels_per_image` floats in place), the first of which is
// image `first_image` of its set, with the draws of (seed, epoch).
VAEDNN_EXPORT void binarize_images(std::span<float> images, std::size_t pixels_per_image,
                                   std::uint64_t seed, std::uint64_t epoch,
                                   std::size_t first_image);

// The one fixed binarisation of an evaluation set: the same bits for every seed and every run.
VAEDNN_EXPORT void binarize_fixed(std::span<float> images, std::size_t pixels_per_image,
                                  std::size_t first_image);

}  // namespace vaednn
