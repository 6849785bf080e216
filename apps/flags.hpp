// Flag checks and messages the apps share, clearer than CLI11's own: a value that is not a
// number says so (CLI::Range calls it "not in range"), a range is said the way a person would,
// and a mistyped flag gets the nearest real one suggested.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace vaednn::app {

// An integer in [low, high]: "'abc' is not a number", "'0' must be between 1 and 1024".
template <typename T>
CLI::Validator integer_between(T low, T high) {
    static_assert(std::is_integral_v<T>);
    return CLI::Validator(
        [low, high](std::string& text) -> std::string {
            T value{};
            const char* end = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), end, value);
            const bool negative_for_unsigned =
                std::is_unsigned_v<T> && !text.empty() && text[0] == '-';
            if ((ec == std::errc::invalid_argument || ptr != end) && !negative_for_unsigned) {
                return fmt::format("'{}' is not a number", text);
            }
            if (negative_for_unsigned || ec == std::errc::result_out_of_range || value < low ||
                value > high) {
                return fmt::format("'{}' must be between {} and {}", text, low, high);
            }
            return {};
        },
        fmt::format("{}..{}", low, high));
}

// A real number in (0, high]: "'0' must be > 0 and ≤ 1".
inline CLI::Validator positive_at_most(double high) {
    return CLI::Validator(
        [high](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || std::isnan(value)) {
                return fmt::format("'{}' is not a number", text);
            }
            if (!(value > 0.0 && value <= high)) {
                return fmt::format("'{}' must be > 0 and ≤ {}", text, high);
            }
            return {};
        },
        fmt::format("(0, {}]", high));
}

namespace detail {

inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace detail

// For an unknown "--flag" among the arguments, the app's long flag nearest to it: one it begins
// (--batch, --batch-size) or a few typing errors away (--thread, --threads). Empty if none is near.
inline std::optional<std::string> suggest_flag(const CLI::App& cli, int argc, char** argv) {
    std::vector<std::string> names;
    for (const CLI::Option* option : cli.get_options()) {
        for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view given = argv[i];
        if (given.substr(0, 2) != "--" || given.size() == 2) continue;
        given = given.substr(0, given.find('='));
        if (std::find(names.begin(), names.end(), given) != names.end()) continue;
        std::optional<std::string> best;
        std::size_t best_distance = std::max<std::size_t>(2, given.size() / 3) + 1;
        for (const std::string& name : names) {
            const bool prefix = name.size() > given.size() && name.starts_with(given);
            const std::size_t distance = prefix ? 1 : detail::edit_distance(given, name);
            if (distance < best_distance) {
                best_distance = distance;
                best = fmt::format("{} is not an option; did you mean {}?", given, name);
            }
        }
        if (best) return best;
    }
    return std::nullopt;
}

}  // namespace vaednn::app
