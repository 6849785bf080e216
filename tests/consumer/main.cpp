// Writes a tiny IDX dataset, reads it back through the installed library and checks it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vaednn/dataset.hpp>
#include <vaednn/error.hpp>
#include <vaednn/runtime.hpp>
#include <vector>

namespace {

void write_idx(const std::filesystem::path& file, std::vector<unsigned char> dims_and_data) {
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(dims_and_data.data()),
               static_cast<std::streamsize>(dims_and_data.size()));
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    write_idx(dir / "images", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40});
    write_idx(dir / "labels", {0, 0, 8, 1, 0, 0, 0, 2, 7, 3});

    const vaednn::ImageSet set = vaednn::load_image_set(dir / "images", dir / "labels");
    const vaednn::ImageSetSummary summary = vaednn::summarize(set);
    const vaednn::RuntimeInfo runtime = vaednn::runtime_info();
    std::printf("consumer: %zu images, mean %.4f, oneDNN %s (%s)\n", summary.count,
                summary.pixel_mean, runtime.onednn_version.c_str(), runtime.cpu_isa.c_str());

    bool ok = summary.count == 2 && set.labels[0] == 7 && set.image(1)[1] == 40 &&
              summary.label_counts[3] == 1 && !runtime.onednn_version.empty();
    try {
        (void)vaednn::read_idx(dir / "does-not-exist", 1);
        ok = false;
    } catch (const vaednn::DataError& e) {
        ok = ok && e.kind() == vaednn::DataErrorKind::missing_file;
    }
    std::printf("consumer: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
