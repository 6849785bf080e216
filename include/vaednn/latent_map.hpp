// Pictures of the latent space: where the posterior means of a set of images lie, coloured by
// label, on the plane that shows them best (the first two principal components of the means when
// the latent space has more than two dimensions, the latent plane itself when it has two), and
// the points of that plane a manifold picture decodes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "vaednn/dataset.hpp"
#include "vaednn/export.hpp"
#include "vaednn/model.hpp"

namespace vaednn {

// The posterior means of every image of `set`, image-major (count x latent), encoded `batch`
// images at a time on the model's inference path.
VAEDNN_EXPORT std::vector<float> encode_means(Vae& vae, const ImageSet& set,
                                              std::size_t batch = 100);

// A plane in latent space: origin + a * axes[0] + b * axes[1].
struct LatentPlane {
    std::size_t latent = 0;
    bool principal = false;                   // principal components (latent > 2), or z itself
    std::vector<double> origin;               // the means' mean (zero for the latent plane)
    std::array<std::vector<double>, 2> axes;  // orthonormal, `latent` long
    std::array<double, 2> spread{};           // the means' standard deviation along each axis
    std::array<double, 2> explained{};        // the share of the means' variance along each axis
};

// The plane of `means` (count x latent, count >= 2): for latent > 2 the first two principal
// components (eigenvectors of the covariance, by power iteration with deflation, signs fixed so
// the largest component is positive); for latent 2 the plane itself. Throws ConfigError for a
// latent size below 2 or fewer than two points.
VAEDNN_EXPORT LatentPlane principal_plane(std::span<const float> means, std::size_t latent);

// The (a, b) coordinates of `means` on `plane`, interleaved (count x 2).
VAEDNN_EXPORT std::vector<float> project(std::span<const float> means, const LatentPlane& plane);

// side x side latent points on `plane`, row-major from the top left, at the standard normal's
// quantiles (i + 0.5) / side times the spread along each axis: decoded, a manifold picture.
VAEDNN_EXPORT std::vector<float> plane_grid(const LatentPlane& plane, std::size_t side);

// A scatter plot of `means` projected on `plane`, each point coloured by its label (0..9), with a
// legend and the axes named. Throws Error on a write failure.
VAEDNN_EXPORT void write_latent_map(const std::filesystem::path& file, std::span<const float> means,
                                    std::span<const std::uint8_t> labels, const LatentPlane& plane);

}  // namespace vaednn
