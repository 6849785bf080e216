// Counter-based random bits: SplitMix64's finaliser turns a counter into 64 well-mixed bits, so a
// draw is a pure function of (seed, stream, index) — the same for any thread count or batch split,
// and resumable by saving counters.
#pragma once

#include <cstdint>

namespace vaednn::detail {

constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace vaednn::detail
