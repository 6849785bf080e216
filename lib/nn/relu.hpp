// ReLU's backward pass from its output: dst > 0 exactly where the input was > 0, so the
// pre-activation never needs to be kept.
#pragma once

#include <string>

#include "engine/builder.hpp"

namespace vaednn::detail {

// Appends "<layer>.relu_backward": returns the gradient before the ReLU, from `dst` (the ReLU's
// output) and `diff_dst` (in dst's layout).
memory relu_backward_from_output(GraphBuilder& builder, const std::string& layer, const memory& dst,
                                 const memory& diff_dst);

}  // namespace vaednn::detail
