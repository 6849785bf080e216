// Probe, not part of the build: which of the model's primitives oneDNN (Debian libdnnl-dev 2.6.3)
// implements in bf16 on the CPU in hand, beside f32. --precision bf16|auto (issue 14) needs them;
// on an AVX2-only CPU (Zen 3) none is implemented.
//   g++ -O1 -std=c++20 onednn_bf16_support.cpp -o bf16_support -ldnnl && ./bf16_support
// Prints each primitive's implementation name, or "unimplemented", and the ISA oneDNN dispatches.
#include <cstdio>
#include <dnnl.hpp>
#include <string>

using namespace dnnl;
using dt = memory::data_type;
using tag = memory::format_tag;

template <class MakeDescriptor>
void report(const char* primitive, dt type, MakeDescriptor make) {
    const char* name = type == dt::f32 ? "f32" : "bf16";
    try {
        std::printf("%-28s %-5s %s\n", primitive, name, make().c_str());
    } catch (const dnnl::error&) {
        std::printf("%-28s %-5s unimplemented\n", primitive, name);
    }
}

int main() {
    const engine cpu(engine::kind::cpu, 0);
    for (const dt type : {dt::f32, dt::bf16}) {
        // deconv2's sub-pixel convolutions: 64 -> 32 channels, 2x2 kernels, 14x14, batch 128.
        report("convolution forward", type, [&] {
            const memory::desc src({128, 64, 14, 14}, type, tag::any);
            const memory::desc weights({32, 64, 2, 2}, type, tag::any);
            const memory::desc dst({128, 32, 14, 14}, dt::f32, tag::any);
            const convolution_forward::desc d(prop_kind::forward_training,
                                              algorithm::convolution_direct, src, weights, dst,
                                              {1, 1}, {0, 0}, {1, 1});
            return std::string(convolution_forward::primitive_desc(d, cpu).impl_info_str());
        });
        // The LSTM's recurrent GEMM: [128, 256] x [256, 1024].
        report("matmul", type, [&] {
            const memory::desc a({128, 256}, type, tag::ab);
            const memory::desc b({256, 1024}, type, tag::any);
            const memory::desc c({128, 1024}, dt::f32, tag::ab);
            return std::string(matmul::primitive_desc(matmul::desc(a, b, c), cpu).impl_info_str());
        });
        // oneDNN's LSTM for training: 28 rows of 28 pixels, 256 hidden units, batch 128.
        report("lstm forward (training)", type, [&] {
            const memory::desc x({28, 128, 28}, type, tag::any);
            const memory::desc w_layer({1, 1, 28, 4, 256}, type, tag::any);
            const memory::desc w_iter({1, 1, 256, 4, 256}, type, tag::any);
            const memory::desc bias({1, 1, 4, 256}, dt::f32, tag::any);
            const memory::desc y({28, 128, 256}, type, tag::any);
            const lstm_forward::desc d(prop_kind::forward_training,
                                       rnn_direction::unidirectional_left2right, x, {}, {}, w_layer,
                                       w_iter, bias, y, {}, {});
            return std::string(lstm_forward::primitive_desc(d, cpu).impl_info_str());
        });
    }
    std::printf("oneDNN dispatches ISA %d (7: avx2, 39: avx512_core, 231: avx512_core_bf16)\n",
                static_cast<int>(get_effective_cpu_isa()));
}
