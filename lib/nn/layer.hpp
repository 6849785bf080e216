// The protocol every layer kind (Lstm, Dense, Deconv) speaks:
//   declare(params, engine, reference_batch)  its parameters, in the layouts its primitive wants
//   bind(params, engine)                      to the allocated parameter arena
//   forward(builder, src, pass) -> Tape       appends its forward nodes; the tape holds what
//                                             backward reads
//   backward(builder, tape, diff_dst, input_gradient) -> memory
//                                             appends its backward nodes: weight and bias
//                                             gradients into the arena, and the gradient for its
//                                             input as `input_gradient` asks, which it returns
#pragma once

#include "engine/builder.hpp"

namespace vaednn::detail {

// What a layer's backward does with the gradient for its input.
struct InputGradient {
    bool wanted = true;
    memory into;  // where it goes; empty: a new tensor in the layout the layer's primitive picks

    // Not computed (the first layer's input is data): backward returns an empty memory.
    static InputGradient none() { return {false, {}}; }
    // Into a new tensor of the layer's choice, which backward returns.
    static InputGradient new_tensor() { return {true, {}}; }
    // Into `target` (a view into a larger gradient, say), reordered there when the primitive
    // wants another layout; backward returns `target`.
    static InputGradient into_tensor(memory target) { return {true, std::move(target)}; }
};

}  // namespace vaednn::detail
