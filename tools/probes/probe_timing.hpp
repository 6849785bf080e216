// The probes' one timer: the median of `reps` calls after 3 unmeasured warm-up calls, in ms.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

template <class F>
double median_ms(F f, int reps = 30) {
    std::vector<double> times;
    for (int r = 0; r < reps + 3; ++r) {
        const auto start = std::chrono::steady_clock::now();
        f();
        const auto end = std::chrono::steady_clock::now();
        if (r >= 3) times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}
