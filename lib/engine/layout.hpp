// Memory descriptors: the one place that reads or edits oneDNN's C struct (dnnl_memory_desc_t)
// directly, for what the C++ API of oneDNN 2.6 does not offer.
#pragma once

#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

namespace vaednn::detail {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

inline memory::desc plain_desc(const Dims& dims, Tag tag) {
    return memory::desc(dims, f32, tag);
}
inline memory::desc any_desc(const Dims& dims) {
    return memory::desc(dims, f32, Tag::any);
}

// Dimension `i` of a tensor (from the C descriptor: dims() builds a vector each call).
memory::dim dim_of(const memory& m, int i);

// A memory layout in oneDNN's notation: dimensions as letters from the outermost, upper case when
// blocked, then the blocks ("abcd" is nchw, "acdb" nhwc, "aBcd16b" nChw16c).
std::string describe_layout(const memory::desc& desc);

// `part` {N, C, h, w} in one of the activation layouts oneDNN's convolutions choose: the same
// layout at {N, C, h * stride, w * stride}. Throws std::runtime_error for any other layout.
memory::desc spatially_scaled_desc(const memory::desc& part, int stride);

// The pixels (y, x) = (stride * m + ry, stride * l + rx) of `full` (a spatially_scaled_desc()
// result) as a {N, C, h, w} tensor: `full`'s layout with every spatial stride multiplied, starting
// `byte_offset` bytes into its buffer.
memory::desc spatial_residue_view(const memory::desc& full, int stride, int ry, int rx,
                                  std::size_t& byte_offset);

}  // namespace vaednn::detail
