// Our Deconv layer's forward against (a) oneDNN's convolution backward-data with the same
// weights, the duality that defines a transposed convolution, and (b) a plain loop written from
// PyTorch's ConvTranspose2d definition. Covers the weight layout (PyTorch's [in, out, k, k]) and
// the output-padding-as-right-padding mapping.
#include <gtest/gtest.h>

#include <random>

#include "engine/builder.hpp"
#include "engine/graph.hpp"
#include "engine/param_arena.hpp"
#include "nn/deconv.hpp"

namespace vaednn::detail {
namespace {

struct DeconvCase {
    DeconvShape shape;
    DeconvForward algorithm;
};

std::vector<float> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
}

// out[n][o][y][x] = b[o] + Σ in[n][i][iy][ix] W[i][o][ky][kx], y = iy*s - p + ky (PyTorch's
// definition; y must fall inside the output, which output_padding extends at the end).
std::vector<float> naive_deconv(const DeconvShape& s, int batch, const std::vector<float>& in,
                                const std::vector<float>& w, const std::vector<float>& b) {
    const int os = s.out_side(), is = s.in_side, k = s.kernel;
    std::vector<float> out(static_cast<std::size_t>(batch * s.out_channels * os * os));
    auto at = [](int a, int b_, int c, int d, int B, int C, int D) {
        return static_cast<std::size_t>(((a * B + b_) * C + c) * D + d);
    };
    for (int n = 0; n < batch; ++n)
        for (int o = 0; o < s.out_channels; ++o)
            for (int y = 0; y < os; ++y)
                for (int x = 0; x < os; ++x)
                    out[at(n, o, y, x, s.out_channels, os, os)] = b[static_cast<std::size_t>(o)];
    for (int n = 0; n < batch; ++n)
        for (int i = 0; i < s.in_channels; ++i)
            for (int iy = 0; iy < is; ++iy)
                for (int ix = 0; ix < is; ++ix)
                    for (int o = 0; o < s.out_channels; ++o)
                        for (int ky = 0; ky < k; ++ky)
                            for (int kx = 0; kx < k; ++kx) {
                                const int y = iy * s.stride - s.padding + ky;
                                const int x = ix * s.stride - s.padding + kx;
                                if (y < 0 || x < 0 || y >= os || x >= os) continue;
                                out[at(n, o, y, x, s.out_channels, os, os)] +=
                                    in[at(n, i, iy, ix, s.in_channels, is, is)] *
                                    w[at(i, o, ky, kx, s.out_channels, k, k)];
                            }
    return out;
}

class DeconvDuality : public ::testing::TestWithParam<DeconvCase> {};

TEST_P(DeconvDuality, ForwardEqualsConvolutionBackwardDataAndTheDefinition) {
    const DeconvShape s = GetParam().shape;
    const int batch = 3;
    dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);

    ParamArena arena;
    Deconv layer("deconv", "test", s, /*relu=*/false, GetParam().algorithm);
    layer.declare(arena, engine, batch);
    arena.allocate(engine);
    layer.bind(arena, engine);

    const int k = s.kernel;
    const auto weights =
        random_values(static_cast<std::size_t>(s.in_channels * s.out_channels * k * k), 1);
    const auto bias = random_values(static_cast<std::size_t>(s.out_channels), 2);
    const auto input =
        random_values(static_cast<std::size_t>(batch * s.in_channels * s.in_side * s.in_side), 3);
    // PyTorch's [in, out, k, k] weight is oneDNN's iohw.
    const memory::desc user_weights = plain_desc({s.out_channels, s.in_channels, k, k}, Tag::iohw);
    memory user_weight_memory(user_weights, engine, const_cast<float*>(weights.data()));
    memory arena_weight = arena.weight(0);
    dnnl::reorder(user_weight_memory, arena_weight)
        .execute(stream, user_weight_memory, arena_weight);
    std::copy(bias.begin(), bias.end(), static_cast<float*>(arena.weight(1).get_data_handle()));

    Graph graph;
    GraphBuilder builder(engine, graph);
    const memory src = builder.make_persistent(
        plain_desc({batch, s.in_channels, s.in_side, s.in_side}, Tag::nchw));
    std::copy(input.begin(), input.end(), static_cast<float*>(src.get_data_handle()));
    const Deconv::Tape tape = layer.forward(builder, src, Pass::training);
    const int os = s.out_side();
    const memory out = builder.to_layout("out", Phase::forward, tape.dst,
                                         plain_desc({batch, s.out_channels, os, os}, Tag::nchw));
    builder.pin(out);  // read after the run
    builder.finish();
    graph.run(stream);
    stream.wait();
    const float* ours = static_cast<const float*>(out.get_data_handle());

    // (a) Convolution backward-data: the deconvolution's input is the convolution's diff_dst,
    // its weight (PyTorch [in, out, k, k]) is the convolution's [out, in, k, k] weight.
    const memory::desc conv_src = plain_desc({batch, s.out_channels, os, os}, Tag::nchw);
    const memory::desc conv_dst =
        plain_desc({batch, s.in_channels, s.in_side, s.in_side}, Tag::nchw);
    const memory::desc conv_w = plain_desc({s.in_channels, s.out_channels, k, k}, Tag::oihw);
    const Dims strides = {s.stride, s.stride}, pad_l = {s.padding, s.padding},
               pad_r = {s.padding - s.output_padding, s.padding - s.output_padding};
    const dnnl::convolution_forward::primitive_desc hint(
        {dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, conv_src, conv_w,
         conv_dst, strides, pad_l, pad_r},
        engine);
    const dnnl::convolution_backward_data::primitive_desc pd(
        {dnnl::algorithm::convolution_direct, conv_src, conv_w, conv_dst, strides, pad_l, pad_r},
        engine, hint);
    memory dual(conv_src, engine);
    dnnl::convolution_backward_data(pd).execute(
        stream, {{DNNL_ARG_DIFF_DST, memory(conv_dst, engine, const_cast<float*>(input.data()))},
                 {DNNL_ARG_WEIGHTS, memory(conv_w, engine, const_cast<float*>(weights.data()))},
                 {DNNL_ARG_DIFF_SRC, dual}});
    stream.wait();
    const float* dual_values = static_cast<const float*>(dual.get_data_handle());

    // (b) The definition, looped.
    const std::vector<float> reference = naive_deconv(s, batch, input, weights, bias);
    ASSERT_EQ(reference.size(), out.get_desc().get_size() / sizeof(float));
    double max_dual = 0.0, max_loop = 0.0, max_ref = 0.0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const std::size_t channel =
            (i / static_cast<std::size_t>(os * os)) % static_cast<std::size_t>(s.out_channels);
        max_dual = std::max(
            max_dual, static_cast<double>(std::fabs(ours[i] - (dual_values[i] + bias[channel]))));
        max_loop = std::max(max_loop, static_cast<double>(std::fabs(ours[i] - reference[i])));
        max_ref = std::max(max_ref, static_cast<double>(std::fabs(reference[i])));
    }
    // Relative to the largest output: sums of up to in*k*k products in float32.
    EXPECT_LT(max_dual / max_ref, 1e-6) << "deconvolution vs convolution backward-data";
    EXPECT_LT(max_loop / max_ref, 1e-6) << "deconvolution vs the ConvTranspose2d definition";
}

constexpr DeconvShape kDeconv1{32, 64, 3, 2, 1, 1, 7};
constexpr DeconvShape kDeconv2{64, 32, 3, 2, 1, 1, 14};
constexpr DeconvShape kDeconv3{32, 1, 3, 1, 1, 0, 28};
constexpr DeconvShape kOddChannels{5, 3, 3, 2, 1, 1, 4};
// Sub-pixel residues with two taps each and left padding (kernel 4), and stride 3 with residues
// of different tap counts and paddings.
constexpr DeconvShape kKernel4{6, 16, 4, 2, 1, 0, 5};
constexpr DeconvShape kStride3{4, 8, 5, 3, 1, 0, 4};

INSTANTIATE_TEST_SUITE_P(Shapes, DeconvDuality,
                         ::testing::Values(DeconvCase{kDeconv1, DeconvForward::direct_any},
                                           DeconvCase{kDeconv1, DeconvForward::subpixel},
                                           DeconvCase{kDeconv2, DeconvForward::direct_any},
                                           DeconvCase{kDeconv2, DeconvForward::subpixel},
                                           DeconvCase{kDeconv3, DeconvForward::direct_plain},
                                           DeconvCase{kDeconv3, DeconvForward::subpixel},
                                           DeconvCase{kOddChannels, DeconvForward::direct_any},
                                           DeconvCase{kOddChannels, DeconvForward::subpixel},
                                           DeconvCase{kKernel4, DeconvForward::subpixel},
                                           DeconvCase{kStride3, DeconvForward::subpixel}),
                         [](const auto& test) {
                             const DeconvShape& s = test.param.shape;
                             return std::to_string(s.in_channels) + "to" +
                                    std::to_string(s.out_channels) + "_k" +
                                    std::to_string(s.kernel) + "s" + std::to_string(s.stride) +
                                    "_" + deconv_forward_name(test.param.algorithm);
                         });

TEST(DeconvSubpixel, RefusesShapesItCannotExpress) {
    // Output side 2 * 4 + 1 = 9 is not a multiple of the stride.
    EXPECT_FALSE(Deconv::subpixel_possible({4, 4, 3, 2, 1, 0, 5}));
    // Stride 4 above kernel 3: one residue has no tap.
    EXPECT_FALSE(Deconv::subpixel_possible({4, 4, 3, 4, 0, 1, 3}));
    EXPECT_TRUE(Deconv::subpixel_possible(kDeconv2));
    EXPECT_THROW(Deconv("d", "d", {4, 4, 3, 2, 1, 0, 5}, false, DeconvForward::subpixel),
                 std::invalid_argument);
}

TEST(DeconvSubpixel, IsTheDefaultForStridedLayersAndPlainForOneChannel) {
    EXPECT_EQ(choose_deconv_forward(kDeconv1), DeconvForward::subpixel);
    EXPECT_EQ(choose_deconv_forward(kDeconv2), DeconvForward::subpixel);
    EXPECT_EQ(choose_deconv_forward(kDeconv3), DeconvForward::direct_plain);
}

}  // namespace
}  // namespace vaednn::detail
