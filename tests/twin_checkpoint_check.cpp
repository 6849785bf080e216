// Evaluates a checkpoint on the batch and noise the PyTorch twin used, and compares the loss the
// twin computed after loading the same checkpoint. usage: twin_checkpoint_check CHECKPOINT EVAL
#include <cmath>
#include <cstdio>

#include "vaednn/checkpoint.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: twin_checkpoint_check CHECKPOINT TWIN_EVAL\n");
        return 2;
    }
    try {
        vaednn::Vae vae = vaednn::restore_model(vaednn::read_checkpoint(argv[1]));
        const vaednn::SafetensorsFile twin = vaednn::read_safetensors(argv[2]);
        vae.use_fixed_noise(twin.at("input.eps").values);
        const vaednn::LossTerms ours = vae.evaluate(twin.at("input.images").values);
        const auto& theirs = twin.at("loss.terms").values;
        const double reference = theirs[0];
        const double error = std::fabs(ours.loss - reference) / std::fabs(reference);
        std::printf("loss: ours %.6f, PyTorch %.6f, relative error %.3g\n", ours.loss,
                    static_cast<double>(theirs[0]), error);
        std::printf("reconstruction: ours %.6f, PyTorch %.6f; KL: ours %.6f, PyTorch %.6f\n",
                    ours.reconstruction, static_cast<double>(theirs[1]), ours.kl,
                    static_cast<double>(theirs[2]));
        if (error > 1e-4) {
            std::printf("FAIL: relative error above 1e-4\n");
            return 1;
        }
        std::printf("PASS\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "twin_checkpoint_check: %s\n", e.what());
        return 1;
    }
}
