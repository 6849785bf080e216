#include "engine/layout.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace vaednn::detail {

memory::dim dim_of(const memory& m, int i) {
    return m.get_desc().data.dims[i];
}

std::string describe_layout(const memory::desc& desc) {
    const dnnl_memory_desc_t& d = desc.data;
    if (d.format_kind != dnnl_blocked) return "?";
    const auto& blocking = d.format_desc.blocking;
    std::vector<int> order(static_cast<std::size_t>(d.ndims));
    std::iota(order.begin(), order.end(), 0);
    // Outermost first; equal strides (size-1 dimensions) keep their logical order.
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return blocking.strides[a] > blocking.strides[b]; });
    const auto blocked = [&](int dim) {
        return std::find(blocking.inner_idxs, blocking.inner_idxs + blocking.inner_nblks, dim) !=
               blocking.inner_idxs + blocking.inner_nblks;
    };
    std::string out;
    for (int dim : order) out += static_cast<char>((blocked(dim) ? 'A' : 'a') + dim);
    for (int i = 0; i < blocking.inner_nblks; ++i) {
        out += std::to_string(blocking.inner_blks[i]);
        out += static_cast<char>('a' + blocking.inner_idxs[i]);
    }
    return out;
}

memory::desc spatially_scaled_desc(const memory::desc& part, int stride) {
    const auto& d = part.data.dims;
    const Dims full = {d[0], d[1], d[2] * stride, d[3] * stride};
    // Blocking on channels only, so a residue's pixels are a strided view (see below).
    for (const Tag tag : {Tag::nChw16c, Tag::nChw8c, Tag::nChw4c, Tag::nhwc, Tag::nchw}) {
        if (part == plain_desc({d[0], d[1], d[2], d[3]}, tag)) return plain_desc(full, tag);
    }
    throw std::runtime_error("sub-pixel deconvolution: unexpected activation layout " +
                             describe_layout(part));
}

memory::desc spatial_residue_view(const memory::desc& full, int stride, int ry, int rx,
                                  std::size_t& byte_offset) {
    dnnl_memory_desc_t view = full.data;
    auto& strides = view.format_desc.blocking.strides;
    byte_offset = static_cast<std::size_t>(ry * strides[2] + rx * strides[3]) * sizeof(float);
    for (int axis : {2, 3}) {
        view.dims[axis] /= stride;
        view.padded_dims[axis] /= stride;
        strides[axis] *= stride;
    }
    return memory::desc(view);
}

}  // namespace vaednn::detail
