// Everything of libvaednn's public API in one include. The declarations of figures.hpp,
// epoch_figures.hpp and latent_map.hpp are defined in vaednn::figures (pkg-config:
// vaednn-figures), the rest in vaednn::vaednn.
#pragma once

#include "vaednn/atomic_file.hpp"
#include "vaednn/binarize.hpp"
#include "vaednn/checkpoint.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/config.hpp"
#include "vaednn/cpu_budget.hpp"
#include "vaednn/dataset.hpp"
#include "vaednn/epoch_figures.hpp"
#include "vaednn/error.hpp"
#include "vaednn/evaluation.hpp"
#include "vaednn/export.hpp"
#include "vaednn/figures.hpp"
#include "vaednn/idx.hpp"
#include "vaednn/latent_map.hpp"
#include "vaednn/memory_estimate.hpp"
#include "vaednn/model.hpp"
#include "vaednn/pipeline.hpp"
#include "vaednn/report.hpp"
#include "vaednn/run_folder.hpp"
#include "vaednn/runtime.hpp"
#include "vaednn/safetensors.hpp"
#include "vaednn/trainer.hpp"
#include "vaednn/training_run.hpp"
#include "vaednn/version.hpp"
