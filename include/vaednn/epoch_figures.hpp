// The pictures a training run leaves after every epoch: a grid of prior samples, test images
// above their reconstructions, and the loss curves so far; and at its end, the latent map. Drawn
// with cairo (vaednn/figures.hpp); TrainingRun does not need them, so a program that trains without
// figures needs no cairo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "vaednn/dataset.hpp"
#include "vaednn/export.hpp"
#include "vaednn/model.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {

// The batch sizes the figures run the model at (a caller budgeting memory plans for them).
inline constexpr std::size_t kEpochFigureSamples = 64;          // 8 x 8 prior samples
inline constexpr std::size_t kEpochFigureReconstructions = 10;  // test images and their decoding

// Writes into `folder`: samples_epoch_NNN.png (64 images decoded from the same fixed z every
// epoch, so the grids show the model learning; the model's noise streams do not move),
// reconstruction_epoch_NNN.png (the first test image of each class, captioned, above its
// decoding from the posterior mean) and loss_curves.png (every epoch of `history`). Throws Error
// when a file cannot be written.
VAEDNN_EXPORT void write_epoch_figures(const std::filesystem::path& folder, Vae& vae,
                                       const ImageSet& test, int epoch,
                                       std::span<const EpochMetrics> history);

// The first image of each class (label 0..9) that `set` holds, in label order: the images a
// reconstruction picture shows.
VAEDNN_EXPORT std::vector<std::uint32_t> first_of_each_class(const ImageSet& set);

// The latent map of `set` (vaednn/latent_map.hpp): its posterior means on their first two
// principal components, or on the latent plane, coloured by label.
VAEDNN_EXPORT void write_latent_figure(const std::filesystem::path& file, Vae& vae,
                                       const ImageSet& set);

}  // namespace vaednn
