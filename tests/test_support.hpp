#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "vaednn/config.hpp"

namespace vaednn::testing {

// A model small enough for tests to build and train in milliseconds, with every layer kind.
inline VaeConfig small_test_config() {
    VaeConfig c;
    c.hidden = 16;
    c.latent = 4;
    c.decoder_channels = {4, 8, 4};
    c.reference_batch = 16;
    return c;
}

// The whole contents of `file` (empty when it cannot be read).
inline std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A fresh directory under the system's temporary folder, removed with the fixture.
class TempDirTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::random_device entropy;
        dir_ = std::filesystem::temp_directory_path() /
               (std::string("vaednn-") + info->test_suite_name() + "-" + info->name() + "-" +
                std::to_string(entropy()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

}  // namespace vaednn::testing
