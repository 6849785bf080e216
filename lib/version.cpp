#include "vaednn/version.hpp"

namespace vaednn {

Version version() noexcept {
    return {VAEDNN_VERSION_MAJOR, VAEDNN_VERSION_MINOR, VAEDNN_VERSION_PATCH};
}

const char* version_string() noexcept {
    return VAEDNN_VERSION_STRING;
}

}  // namespace vaednn
