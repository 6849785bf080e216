// Includes the whole public API through <vaednn/vaednn.hpp>, checks that the linked library is
// the version the headers are, writes a figure (vaednn::figures), and catches the library's
// exceptions across its edge (a shared library's exceptions must be exported to be caught).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vaednn/vaednn.hpp>
#include <vector>

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    bool ok = true;

    const vaednn::Version v = vaednn::version();
    std::printf("consumer_umbrella: headers %s, library %s (%d.%d.%d)\n", VAEDNN_VERSION_STRING,
                vaednn::version_string(), v.major, v.minor, v.patch);
    ok = ok && v.major == VAEDNN_VERSION_MAJOR && v.minor == VAEDNN_VERSION_MINOR &&
         v.patch == VAEDNN_VERSION_PATCH &&
         std::strcmp(vaednn::version_string(), VAEDNN_VERSION_STRING) == 0;

    const std::vector<float> images(4 * 28 * 28, 0.5f);
    vaednn::write_image_grid(dir / "grid.png", images, 4, 28, 28, 2);
    char magic[4] = {};
    std::ifstream(dir / "grid.png", std::ios::binary).read(magic, sizeof magic);
    ok = ok && std::memcmp(magic, "\x89PNG", 4) == 0;

    try {  // thrown in vaednn::formats
        (void)vaednn::read_idx(dir / "does-not-exist", 1);
        ok = false;
    } catch (const vaednn::DataError& e) {
        ok = ok && e.kind() == vaednn::DataErrorKind::missing_file;
    }
    try {  // thrown in vaednn::vaednn
        vaednn::VaeConfig config;
        config.hidden = 0;
        config.validate();
        ok = false;
    } catch (const vaednn::ConfigError&) {
    }
    try {  // thrown in vaednn::figures (or the formats it writes through), caught by a base class
        vaednn::write_image_grid(dir / "no-such-folder" / "grid.png", images, 4, 28, 28, 2);
        ok = false;
    } catch (const vaednn::Error&) {
    }

    std::printf("consumer_umbrella: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
