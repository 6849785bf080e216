// How much memory a configuration needs, before anything is allocated: pure arithmetic on the
// layer shapes, mirroring what Vae allocates (lib/model/vae.cpp and the layers it builds).
//
// What is counted, in bytes:
// - the model: the parameter arena and its three twins (gradients, Adam's two moments), each
//   tensor in the layout its primitive keeps it in (blocked layouts pad channels to 16);
// - one step graph for one batch size: every activation and its gradient, the reorder copies
//   between layouts, what the LSTM keeps for backward (the fused kernel's gates and states of
//   every step; oneDNN's workspace and diff states), the scratchpad the graph's primitives share
//   (with oneDNN's LSTM, its backward's, the largest),
//   the deconvolutions' sub-pixel and interleave buffers, and about 1 MiB of primitives and JIT
//   code.
// What is not: the process itself (libraries, oneDNN's and OpenMP's one-time set-up, thread
// stacks), the data set and the batch pipeline's buffers, and the per-thread im2col scratch of
// oneDNN's gemm deconvolution on machines with very many threads.
//
// Vae builds one training graph per batch size it trains on and one inference graph per size
// it evaluates, encodes or decodes, and all of them place their activations in one shared arena
// planned from the tensors' lifetimes (the largest plan sets its size). The estimate counts every
// tensor of a training graph as if none shared bytes, so it bounds that arena from above: a run's
// peak is about estimate_model_bytes() plus estimate_graph_bytes() of its largest batch size.
// estimate_training_bytes() is that sum.
//
// The figures follow oneDNN 2.6's CPU layouts on x86-64 (padding to 16 channels, the RNN
// workspace of its reference LSTM). They are upper bounds: tests/test_memory_estimate.cpp finds
// them 1.9x to 2.8x what a training step really makes resident, the gap being tensors that share
// bytes in the plan and memory oneDNN reserves but never touches (parts of the LSTM's workspace
// and scratchpad, padding).
//
// Overflow: every sum and product saturates at SIZE_MAX instead of wrapping, so an absurd
// configuration gives SIZE_MAX, never a small number. The configuration is not validated:
// negative sizes count as zero.
#pragma once

#include <cstddef>

#include "vaednn/config.hpp"
#include "vaednn/export.hpp"

namespace vaednn {

// The parameters, their gradients and Adam's two moments.
VAEDNN_EXPORT std::size_t estimate_model_bytes(const VaeConfig& config);

// One training graph for batches of `batch_size` images, every tensor counted apart (an upper
// bound of its plan, which also holds the inference graphs of that size and any smaller).
VAEDNN_EXPORT std::size_t estimate_graph_bytes(const VaeConfig& config, std::size_t batch_size,
                                               LstmKernel kernel = LstmKernel::fused);

// The model plus one step graph: a Vae trained on batches of one size.
VAEDNN_EXPORT std::size_t estimate_training_bytes(const VaeConfig& config, std::size_t batch_size,
                                                  LstmKernel kernel = LstmKernel::fused);

}  // namespace vaednn
