// Loads a golden fixture written by tools/vae_twin.py and compares tensors the way the tests
// report them: max |a - b| / max |b| per tensor, with the first differing values on failure.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "vaednn/model.hpp"
#include "vaednn/safetensors.hpp"

namespace vaednn::testing {

inline std::filesystem::path fixture_path(const std::string& name) {
    return std::filesystem::path(VAEDNN_TEST_FIXTURE_DIR) / (name + ".safetensors");
}

struct GoldenFixture {
    SafetensorsFile file;
    VaeConfig config;
    std::size_t batch = 0;

    explicit GoldenFixture(const std::string& name) : file(read_safetensors(fixture_path(name))) {
        const auto& m = file.metadata;
        config.hidden = std::stoi(m.at("hidden"));
        config.latent = std::stoi(m.at("latent"));
        std::istringstream channels(m.at("channels"));
        std::string c;
        for (int& channel : config.decoder_channels) {
            std::getline(channels, c, ',');
            channel = std::stoi(c);
        }
        config.likelihood = likelihood_from_string(m.at("likelihood"));
        batch = std::stoul(m.at("batch"));
    }

    // The tensors whose names start with `prefix`, with the prefix removed.
    std::vector<Tensor> with_prefix(const std::string& prefix) const {
        std::vector<Tensor> out;
        for (const Tensor& t : file.tensors) {
            if (t.name.rfind(prefix, 0) == 0) {
                out.push_back({t.name.substr(prefix.size()), t.shape, t.values});
            }
        }
        return out;
    }
    const std::vector<float>& values(const std::string& name) const { return file.at(name).values; }
};

inline double relative_error(const std::vector<float>& actual, const std::vector<float>& expected) {
    double max_diff = 0.0, max_ref = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        max_diff = std::max(
            max_diff, std::fabs(static_cast<double>(actual[i]) - static_cast<double>(expected[i])));
        max_ref = std::max(max_ref, std::fabs(static_cast<double>(expected[i])));
    }
    return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

// Calls check(ours, theirs) for every tensor of `expected` and the same-named tensor of `actual`,
// once that tensor is found and has the same shape.
template <typename Check>
void for_each_matching_tensor(const std::vector<Tensor>& actual,
                              const std::vector<Tensor>& expected, const std::string& what,
                              Check check) {
    ASSERT_FALSE(expected.empty()) << what << ": the fixture holds no tensors";
    for (const Tensor& e : expected) {
        const auto it = std::find_if(actual.begin(), actual.end(),
                                     [&](const Tensor& a) { return a.name == e.name; });
        ASSERT_NE(it, actual.end()) << what << ": no tensor " << e.name;
        ASSERT_EQ(it->shape, e.shape) << what << ": " << e.name;
        check(*it, e);
    }
}

// Checks every tensor of `expected` against the same-named tensor of `actual`.
inline void expect_tensors_near(const std::vector<Tensor>& actual,
                                const std::vector<Tensor>& expected, double tolerance,
                                const std::string& what) {
    for_each_matching_tensor(actual, expected, what, [&](const Tensor& ours, const Tensor& e) {
        const double error = relative_error(ours.values, e.values);
        if (error <= tolerance) return;
        std::ostringstream first;
        int shown = 0;
        for (std::size_t i = 0; i < e.values.size() && shown < 5; ++i) {
            if (std::fabs(static_cast<double>(ours.values[i] - e.values[i])) > tolerance * 0.1) {
                first << "  [" << i << "] ours " << ours.values[i] << " torch " << e.values[i]
                      << "\n";
                ++shown;
            }
        }
        ADD_FAILURE() << what << ": " << e.name << " relative error " << error << " > " << tolerance
                      << "\n"
                      << first.str()
                      << "hint: a layout or gate-order mistake shows as errors near 1; a "
                         "summation-order difference as errors below 1e-5";
    });
}

// Checks every tensor of `expected` against the same-named tensor of `actual`, element by
// element, to an absolute tolerance.
inline void expect_tensors_within(const std::vector<Tensor>& actual,
                                  const std::vector<Tensor>& expected, double absolute,
                                  const std::string& what) {
    for_each_matching_tensor(actual, expected, what, [&](const Tensor& ours, const Tensor& e) {
        double worst = 0.0;
        std::size_t worst_index = 0;
        for (std::size_t i = 0; i < e.values.size(); ++i) {
            const double diff = std::fabs(static_cast<double>(ours.values[i]) - e.values[i]);
            if (diff > worst) {
                worst = diff;
                worst_index = i;
            }
        }
        EXPECT_LE(worst, absolute)
            << what << ": " << e.name << "[" << worst_index << "] ours " << ours.values[worst_index]
            << " torch " << e.values[worst_index];
    });
}

}  // namespace vaednn::testing
