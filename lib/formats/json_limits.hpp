// Limits on JSON read from files: nlohmann's parser and dump() recurse once per level, so a
// header nested 100,000 levels deep would overflow the stack before any check could run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace vaednn::detail {

// safetensors' own reader allows 128 levels; ours need 3.
inline constexpr std::size_t kMaxJsonDepth = 128;
// How much of an offending value an error message may quote.
inline constexpr std::size_t kMaxQuotedChars = 64;

// The deepest nesting of arrays and objects in `text`, counting brackets outside strings; stops
// counting (and returns a value above `limit`) as soon as `limit` is passed. Linear, no recursion.
inline std::size_t json_nesting_depth(std::string_view text, std::size_t limit = kMaxJsonDepth) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// `text` for an error message: whole when short, else its start (never cut inside a UTF-8
// character) and how long it was; control characters are shown as \xNN, so nothing a file holds
// can move the cursor or change the colours of the terminal that prints it.
inline std::string quoted_excerpt(std::string_view text, std::size_t max = kMaxQuotedChars) {
    std::size_t cut = std::min(max, text.size());
    while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    std::string out;
    out.reserve(cut + 16);
    for (const char c : text.substr(0, cut)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        } else {
            out += c;
        }
    }
    if (cut < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

}  // namespace vaednn::detail
