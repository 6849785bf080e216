# Sourced by the scripted tests: make_mini_mnist SRC DST TRAIN TEST writes into DST the first TRAIN
# training and TEST test images (and labels) of the IDX dataset in SRC, so that the many short
# runs of a test take moments, even under the sanitizers on a loaded machine.

# be32 N: N as 4 big-endian bytes.
be32() {
  printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
  printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}

# idx_head SRC DST COUNT RANK: the first COUNT items of an IDX file of unsigned bytes of rank 1
# (labels) or 3 (28x28 images).
idx_head() {
  local item=1
  {
    printf '\x00\x00\x08'
    printf "\\$(printf %03o "$4")"
    be32 "$3"
    if [[ $4 == 3 ]]; then
      be32 28
      be32 28
      item=784
    fi
    # No pipe: a reader that stops early would SIGPIPE the writer and fail a `set -eo pipefail` caller.
    dd status=none if="$1" bs=1M iflag=skip_bytes,count_bytes skip=$((4 + 4 * $4)) count=$(($3 * item))
  } >"$2"
}

make_mini_mnist() {
  mkdir -p "$2"
  idx_head "$1/train-images-idx3-ubyte" "$2/train-images-idx3-ubyte" "$3" 3
  idx_head "$1/train-labels-idx1-ubyte" "$2/train-labels-idx1-ubyte" "$3" 1
  idx_head "$1/t10k-images-idx3-ubyte" "$2/t10k-images-idx3-ubyte" "$4" 3
  idx_head "$1/t10k-labels-idx1-ubyte" "$2/t10k-labels-idx1-ubyte" "$4" 1
}
