// The fused LSTM's forward cell: its vector sigmoid and tanh (glibc's libmvec) against the same
// step computed in double with <cmath>, over the whole range a gate meets, and a NaN goes through
// to h as the non-finite loss guard needs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nn/lstm_cell.hpp"

namespace vaednn::detail {
namespace {

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

TEST(LstmCellForward, MatchesTheStepInDoubleOverTheGatesRange) {
    constexpr std::size_t kBatch = 3, kHidden = 37;  // odd: the vector loops' tails run too
    const CellShape shape{kBatch, kHidden};
    std::vector<float> gates(kBatch * 4 * kHidden), c_prev(kBatch * kHidden);
    // Pre-activations from -40 to 40 (saturated gates included), cell states from -5 to 5.
    for (std::size_t k = 0; k < gates.size(); ++k) {
        gates[k] = -40.0f + 80.0f * static_cast<float>((k * 7919) % gates.size()) /
                                static_cast<float>(gates.size() - 1);
    }
    for (std::size_t k = 0; k < c_prev.size(); ++k) {
        c_prev[k] = -5.0f + 10.0f * static_cast<float>((k * 104729) % c_prev.size()) /
                                static_cast<float>(c_prev.size() - 1);
    }
    const std::vector<float> pre = gates;
    std::vector<float> c(c_prev.size()), tanh_c(c_prev.size()), h(c_prev.size());
    lstm_cell_forward(gates.data(), c_prev.data(), c.data(), tanh_c.data(), h.data(), shape);

    double worst = 0.0;
    for (std::size_t n = 0; n < kBatch; ++n) {
        for (std::size_t j = 0; j < kHidden; ++j) {
            const std::size_t g = n * 4 * kHidden + j, s = n * kHidden + j;
            const double i = sigmoid(pre[g]), f = sigmoid(pre[g + kHidden]),
                         gg = std::tanh(static_cast<double>(pre[g + 2 * kHidden])),
                         o = sigmoid(pre[g + 3 * kHidden]);
            const double cell = f * c_prev[s] + i * gg;
            const double expected[] = {i, f, gg, o, cell, std::tanh(cell), o * std::tanh(cell)};
            const float got[] = {gates[g],
                                 gates[g + kHidden],
                                 gates[g + 2 * kHidden],
                                 gates[g + 3 * kHidden],
                                 c[s],
                                 tanh_c[s],
                                 h[s]};
            for (int k = 0; k < 7; ++k) {
                const double error =
                    std::abs(got[k] - expected[k]) / std::max(1.0, std::abs(expected[k]));
                worst = std::max(worst, error);
            }
        }
    }
    // A few float ulps: the golden tests allow 1e-4 for the whole model.
    EXPECT_LT(worst, 2e-6);
}

TEST(LstmCellForward, InPlaceCellStateAndNaNsGoThrough) {
    const CellShape shape{1, 8};
    std::vector<float> gates(32, 0.5f), c(8, 1.0f), tanh_c(8), h(8);
    gates[2 * 8 + 3] = std::numeric_limits<float>::quiet_NaN();  // g of unit 3
    gates[0] = std::numeric_limits<float>::infinity();           // i of unit 0 saturates
    lstm_cell_forward(gates.data(), c.data(), c.data(), tanh_c.data(), h.data(), shape);
    EXPECT_TRUE(std::isnan(h[3]));
    EXPECT_TRUE(std::isnan(c[3]));
    EXPECT_FLOAT_EQ(gates[0], 1.0f);
    const double f = sigmoid(0.5), g = std::tanh(0.5), o = sigmoid(0.5);
    EXPECT_NEAR(c[1], f * 1.0 + f * g, 1e-6);  // c_prev read before c is written over it
    EXPECT_NEAR(h[1], o * std::tanh(f + f * g), 1e-6);
}

}  // namespace
}  // namespace vaednn::detail
