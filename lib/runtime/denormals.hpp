// Flush-to-zero and denormals-are-zero for the calling thread and every thread of its OpenMP
// team: denormal gate values can make LSTM training many times slower.
#pragma once

namespace vaednn::detail {

void enable_flush_to_zero_for_team();

}  // namespace vaednn::detail
