// The real datasets, read through the library: counts, labels and known pixel values.
// The expected values were computed independently in Python (numpy) from LeCun's MNIST files and
// from Debian's Fashion-MNIST files. scripts/setup.sh must have run (the README's test command
// does).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>

#include "vaednn/dataset.hpp"

namespace vaednn {
namespace {

std::uint64_t pixel_sum(std::span<const std::uint8_t> image) {
    return std::accumulate(image.begin(), image.end(), std::uint64_t{0});
}

TEST(RealDatasets, DefaultMnistIsLeCunsFullSet) {
    const Dataset data = load_dataset(VAEDNN_TEST_MNIST_DIR, "mnist");
    ASSERT_EQ(data.train.count, 60000u);
    ASSERT_EQ(data.test.count, 10000u);
    EXPECT_EQ(data.train.rows, 28u);
    EXPECT_EQ(data.train.cols, 28u);

    const auto train = summarize(data.train);
    const auto test = summarize(data.test);
    const std::array<std::size_t, 10> train_counts = {5923, 6742, 5958, 6131, 5842,
                                                      5421, 5918, 6265, 5851, 5949};
    const std::array<std::size_t, 10> test_counts = {980, 1135, 1032, 1010, 982,
                                                     892, 958,  1028, 974,  1009};
    EXPECT_EQ(train.label_counts, train_counts);
    EXPECT_EQ(test.label_counts, test_counts);
    EXPECT_NEAR(train.pixel_mean, 0.1306604762738429, 1e-12);
    EXPECT_NEAR(test.pixel_mean, 0.13251460584233693, 1e-12);

    // The famous first digits: a 5, a 0, a 4 in training; a 7, a 2, a 1 in test.
    EXPECT_EQ(data.train.labels[0], 5);
    EXPECT_EQ(data.train.labels[1], 0);
    EXPECT_EQ(data.train.labels[2], 4);
    EXPECT_EQ(data.test.labels[0], 7);
    EXPECT_EQ(data.test.labels[9999], 6);
    const auto first = data.train.image(0);
    const std::array<std::uint8_t, 10> row5 = {0, 0, 3, 18, 18, 18, 126, 136, 175, 26};
    EXPECT_TRUE(std::equal(row5.begin(), row5.end(), first.begin() + 150));
    EXPECT_EQ(pixel_sum(data.train.image(1)), 31095u);
    EXPECT_EQ(pixel_sum(data.test.image(0)), 18454u);
    EXPECT_EQ(pixel_sum(data.test.image(9999)), 41833u);
}

TEST(RealDatasets, FashionMnistFromDebianGzip) {
    const Dataset data = load_dataset(VAEDNN_TEST_FASHION_DIR, "fashion-mnist");
    ASSERT_EQ(data.train.count, 60000u);
    ASSERT_EQ(data.test.count, 10000u);
    EXPECT_EQ(data.train.rows, 28u);

    const auto train = summarize(data.train);
    for (std::size_t count : train.label_counts) EXPECT_EQ(count, 6000u);
    EXPECT_NEAR(train.pixel_mean, 0.2860405969887955, 1e-12);
    EXPECT_NEAR(summarize(data.test).pixel_mean, 0.28684928071228494, 1e-12);

    EXPECT_EQ(std::vector<std::uint8_t>(data.train.labels.begin(), data.train.labels.begin() + 10),
              (std::vector<std::uint8_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
    const auto first = data.train.image(0);  // an ankle boot
    EXPECT_EQ(first[95], 0);
    EXPECT_EQ(first[96], 1);
    EXPECT_EQ(first[99], 13);
    EXPECT_EQ(first[100], 73);
    EXPECT_EQ(pixel_sum(first), 76247u);
    EXPECT_EQ(pixel_sum(data.train.image(59999)), 16684u);
    EXPECT_EQ(pixel_sum(data.test.image(0)), 33456u);
    EXPECT_EQ(data.test.labels[0], 9);
}

}  // namespace
}  // namespace vaednn
