# Sourced by the scripted tests (tests/*.sh): their common opening and checks.
#   begin_script_test WORK   a fresh WORK folder; when the script ends, its background runs end
#                            too, so a failing check never leaves a run holding a folder's lock
#   fail MESSAGE             prints "FAIL: MESSAGE" and exits 1
#   expect CODE REGEX CMD... runs CMD, prints it with its output (left in $out), and fails unless
#                            it exits CODE with output matching REGEX
#   wait_for_line FILE REGEX PID   waits for an event, never for a fixed time: FILE has a line
#                            matching REGEX (or PID ended, which fails)
#   make_mini_mnist SRC DST TRAIN TEST   writes into DST the first TRAIN training and TEST test
#                            images (and labels) of the IDX dataset in SRC, so that the many short
#                            runs of a test take moments, even under the sanitizers on a loaded
#                            machine
# Sourcing it also sets -u -o pipefail: an unset name or a failing stage of a pipe is an error.
set -uo pipefail

begin_script_test() {
  trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
  rm -rf "$1"
  mkdir -p "$1"
}

fail() {
  echo "FAIL: $*"
  exit 1
}

expect() {
  local code="$1" regex="$2"
  shift 2
  local status
  out="$("$@" 2>&1)"
  status=$?
  printf '$ %s\n%s\n' "$*" "$out"
  [[ $status == "$code" ]] || fail "exit code $status, expected $code: $*"
  grep -Eq -- "$regex" <<<"$out" || fail "output does not match '$regex': $*"
}

wait_for_line() {
  until grep -Eq -- "$2" "$1" 2>/dev/null || ! kill -0 "$3" 2>/dev/null; do sleep 0.05; done
  grep -Eq -- "$2" "$1" || { cat "$1"; fail "no line matching '$2' in $1"; }
}

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
