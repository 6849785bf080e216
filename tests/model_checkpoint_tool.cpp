// Turns a training checkpoint into a model checkpoint, as a program with a training loop of its
// own writes one (vaednn::save_checkpoint(file, vae)), for tests/model_checkpoint.sh.
// Usage: model_checkpoint_tool TRAINING_CHECKPOINT MODEL_CHECKPOINT
#include <cstdio>
#include <exception>

#include "vaednn/checkpoint.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: model_checkpoint_tool TRAINING_CHECKPOINT MODEL_CHECKPOINT\n");
        return 2;
    }
    try {
        const vaednn::Vae vae = vaednn::restore_model(vaednn::read_checkpoint(argv[1]));
        vaednn::save_checkpoint(argv[2], vae);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "model_checkpoint_tool: %s\n", e.what());
        return 1;
    }
    return 0;
}
