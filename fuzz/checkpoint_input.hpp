// How fuzz_checkpoint reads its input, shared with the regression test that replays the saved
// inputs (tests/test_fuzz_regressions.cpp), so both see the same metadata: "key=value" lines over
// the two fields that make a checkpoint; a line without '=' removes its key.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

namespace vaednn::fuzzing {

inline std::map<std::string, std::string> checkpoint_metadata_from(std::string_view input) {
    std::map<std::string, std::string> metadata = {{"format", "vaednn-checkpoint"},
                                                   {"format_version", "1"}};
    while (!input.empty()) {
        const std::size_t end = std::min(input.find('\n'), input.size());
        const std::string_view line = input.substr(0, end);
        input.remove_prefix(std::min(end + 1, input.size()));
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) {
            metadata.erase(std::string(line));
        } else {
            metadata[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
        }
    }
    return metadata;
}

}  // namespace vaednn::fuzzing
