#include "vaednn/binarize.hpp"

#include <fmt/format.h>

#include "model/counter_rng.hpp"
#include "vaednn/error.hpp"

namespace vaednn {

namespace {

// Keeps the binarisation's draws apart from every other stream of the same seed.
constexpr std::uint64_t kBinarizeStream = 0xB1A4A41CE5EED5ull;
constexpr std::uint64_t kFixedSeed = 0x7E57B1A4ull;
constexpr std::uint64_t kFixedEpoch = ~std::uint64_t{0};

}  // namespace

std::string to_string(Binarization binarization) {
    switch (binarization) {
        case Binarization::none:
            return "none";
        case Binarization::dynamic:
            return "dynamic";
        case Binarization::fixed:
            return "fixed";
    }
    return "none";
}

Binarization binarization_from_string(const std::string& name) {
    if (name == "none") return Binarization::none;
    if (name == "dynamic") return Binarization::dynamic;
    if (name == "fixed") return Binarization::fixed;
    throw ConfigError(
        fmt::format("unknown binarization \"{}\": expected none, dynamic or fixed", name));
}

void binarize_images(std::span<float> images, std::size_t pixels_per_image, std::uint64_t seed,
                     std::uint64_t epoch, std::size_t first_image) {
    const std::uint64_t stream =
        detail::mix64(seed ^ detail::mix64(epoch ^ kBinarizeStream) ^ kBinarizeStream);
    const std::uint64_t first = static_cast<std::uint64_t>(first_image) * pixels_per_image;
    for (std::size_t i = 0; i < images.size(); ++i) {
        // 24 random bits give a uniform u in [0, 1) that floats hold exactly: P(u < p) = p to
        // within 2^-24, and p = 0 and p = 1 stay 0 and 1.
        const std::uint64_t bits = detail::mix64(stream + first + i);
        const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
        images[i] = u < images[i] ? 1.0f : 0.0f;
    }
}

void binarize_fixed(std::span<float> images, std::size_t pixels_per_image,
                    std::size_t first_image) {
    binarize_images(images, pixels_per_image, kFixedSeed, kFixedEpoch, first_image);
}

}  // namespace vaednn
