#include "nn/relu.hpp"

namespace vaednn::detail {

memory relu_backward_from_output(GraphBuilder& builder, const std::string& layer, const memory& dst,
                                 const memory& diff_dst) {
    const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    const dnnl::eltwise_forward::primitive_desc hint(
        {dnnl::prop_kind::forward_training, alg, dst.get_desc(), 0.0f}, builder.engine());
    const dnnl::eltwise_backward::primitive_desc pd({alg, dst.get_desc(), dst.get_desc(), 0.0f},
                                                    GraphBuilder::attributes(), builder.engine(),
                                                    hint);
    memory diff_src = builder.make(pd.diff_src_desc());
    builder.add(
        layer + ".relu_backward", Phase::backward, pd,
        {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
}

}  // namespace vaednn::detail
