// The pictures a training run leaves after every epoch: a grid of prior samples, test images
// above their reconstructions, and the loss curves so far. Drawn with cairo (vaednn/figures.hpp);
// TrainingRun does not need them, so a program that trains without figures needs no cairo.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "vaednn/dataset.hpp"
#include "vaednn/export.hpp"
#include "vaednn/model.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {

// The batch sizes the figures run the model at (a caller budgeting memory plans for them).
inline constexpr std::size_t kEpochFigureSamples = 64;         // 8 x 8 prior samples
inline constexpr std::size_t kEpochFigureReconstructions = 8;  // test images and their decoding

// Writes into `folder`: samples_epoch_NNN.png (prior samples, drawn from the model's sample
// stream, which so moves on), reconstruction_epoch_NNN.png (test images spread over `test`,
// above their decodings from the posterior mean) and loss_curves.png (every epoch of `history`).
// Throws Error when a file cannot be written.
VAEDNN_EXPORT void write_epoch_figures(const std::filesystem::path& folder, Vae& vae,
                                       const ImageSet& test, int epoch,
                                       std::span<const EpochMetrics> history);

}  // namespace vaednn
