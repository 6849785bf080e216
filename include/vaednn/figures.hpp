// The pictures a run leaves behind: image grids (samples, reconstructions) and the loss curves.
// PNG files, drawn with cairo, written under a temporary name and renamed into place.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

// `count` grey images of rows x cols pixels in [0, 1] (image-major), `columns` to a row, each
// pixel drawn `scale` x `scale`, with a thin gap between images. Throws Error on a write failure.
VAEDNN_EXPORT void write_image_grid(const std::filesystem::path& file,
                                    std::span<const float> images, std::size_t count,
                                    std::size_t rows, std::size_t cols, std::size_t columns,
                                    int scale = 2);

// `count` images (image-major, pixels in [0, 1]) above their reconstructions, a caption above each
// column (`captions`, one per image: the class, say) and the two rows named on the left. Throws
// Error on a write failure or mismatched sizes.
VAEDNN_EXPORT void write_reconstructions(const std::filesystem::path& file,
                                         std::span<const float> originals,
                                         std::span<const float> reconstructions, std::size_t count,
                                         std::size_t rows, std::size_t cols,
                                         std::span<const std::string> captions, int scale = 3);

struct CurvePoint {
    int epoch = 0;
    double train_loss = 0.0, test_loss = 0.0;  // negative ELBO, nats per image
    double train_kl = 0.0, test_kl = 0.0;
};

// Two panels side by side: the negative ELBO and its KL term per epoch, train and test.
VAEDNN_EXPORT void write_loss_curves(const std::filesystem::path& file,
                                     std::span<const CurvePoint> points);

}  // namespace vaednn
