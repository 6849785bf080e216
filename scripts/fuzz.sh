#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time from seed corpora made of real
# files (the fetched MNIST, a checkpoint written by vae_train, its metadata) and of the inputs kept
# in tests/fuzz_regressions/. Crashes, leaks and over-limit allocations fail the run; the input
# that caused one is left in build/fuzz/artifacts/ and belongs in tests/fuzz_regressions/ once
# fixed.
#   scripts/fuzz.sh [seconds per fuzzer, default 60] [target ...]
# Targets: idx, safetensors, checkpoint, evaluation (default: all four, one after another).
# Invocations with different targets may run at the same time, one per core:
#   scripts/fuzz.sh 1800 safetensors & scripts/fuzz.sh 1800 checkpoint & wait
# Each target's full libFuzzer log is kept in build/fuzz/logs/<target>.log; a summary line per
# target (executions, exec/s, coverage, features, corpus, peak RSS) ends the output.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || {
  echo "fuzz.sh: seconds must be a positive integer, not '$seconds'" >&2
  exit 2
}
shift $(($# > 0 ? 1 : 0))
all_targets=(idx safetensors checkpoint evaluation)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || {
    echo "fuzz.sh: unknown target '$target' (known: ${all_targets[*]})" >&2
    exit 2
  }
done
cd "$repo_root"

# Parallel invocations share the build folder: one sets up, builds and seeds at a time.
mkdir -p build/fuzz
exec 9>build/fuzz/.fuzz.lock
if command -v flock >/dev/null 2>&1; then flock 9; fi
"$repo_root/scripts/setup.sh" --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]/#/fuzz_}"
work="build/fuzz/work"
mkdir -p "$work" build/fuzz/artifacts build/fuzz/logs
for target in "${targets[@]}"; do
  rm -rf "${work:?}/$target"
  mkdir -p "$work/$target"
done
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }

# IDX seeds: small real files raw and gzipped, each behind the rank byte the target reads first.
if wants idx; then
  { printf '\x00'; head -c 600 data/mnist/t10k-labels-idx1-ubyte; } >"$work/idx/labels"
  { printf '\x02'; printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c';
    head -c $((16 + 1568)) data/mnist/t10k-images-idx3-ubyte | tail -c 1568; } >"$work/idx/images2"
  { printf '\x00'; head -c 600 data/mnist/t10k-labels-idx1-ubyte | gzip -c; } >"$work/idx/labels.gz"
  { printf '\x02'; tail -c +2 "$work/idx/images2" | gzip -c; } >"$work/idx/images2.gz"
fi

# A real checkpoint of a tiny model: a safetensors seed as it is, and a checkpoint seed as its
# metadata in fuzz_checkpoint's input form ("key=value" lines, the JSON strings unescaped).
if wants safetensors || wants checkpoint; then
  [[ -x build/release/apps/vae_train ]] || scripts/build.sh release
  run="$work/run-$$"
  rm -rf "$run"
  ./build/release/apps/vae_train --threads 1 --epochs 1 --limit 64 --hidden 4 --latent 2 --quiet \
    --batch-size 32 --out "$run" >/dev/null
  if wants safetensors; then cp "$run/checkpoint.safetensors" "$work/safetensors/checkpoint"; fi
  if wants checkpoint; then
    header_length="$(od -An -t u8 -N 8 "$run/checkpoint.safetensors" | tr -d ' ')"
    head -c "$((8 + header_length))" "$run/checkpoint.safetensors" | tail -c "$header_length" |
      grep -oE '"(format|format_version|config|state|dataset)":"([^"\\]|\\.)*"' |
      sed -E 's/^"([a-z_]+)":"(.*)"$/\1=\2/; s/\\"/"/g; s/\\\\/\\/g' >"$work/checkpoint/real"
    [[ -s $work/checkpoint/real ]] || { echo "fuzz.sh: no metadata in the checkpoint" >&2; exit 1; }
  fi
  rm -rf "$run"
fi
# A real evaluation report of a tiny model, as vae_eval --json writes it.
if wants evaluation; then
  [[ -x build/release/apps/vae_eval ]] || scripts/build.sh release
  run="$work/eval-run-$$"
  rm -rf "$run"
  ./build/release/apps/vae_train --threads 1 --epochs 1 --limit 64 --hidden 4 --latent 2 --quiet \
    --batch-size 32 --out "$run" >/dev/null
  ./build/release/apps/vae_eval "$run/checkpoint.safetensors" --threads 1 --k 2 --first 5 \
    --limit 3 --json "$work/evaluation/real" >/dev/null
  rm -rf "$run"
fi
# The regression inputs seed their targets too (deep JSON, huge integers, long names, ...).
for target in "${targets[@]}"; do
  cp tests/fuzz_regressions/"$target"/* "$work/$target/" 2>/dev/null || true
  rm -f "$work/$target/.gitkeep"
done
exec 9>&-  # the build and the seeds are ready: let another invocation build

# The last status line's "cov: N ft: N corp: N/SIZE" and the final stats, as one line.
summarize() {
  local target="$1" log="$2" result="$3" status_line
  status_line="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)"
  final_stat() { sed -nE "s/^stat::$1: *([0-9]+).*/\1/p" "$log" | tail -n 1; }
  field() { sed -nE "s/.* $1: ([^ ]+).*/\1/p" <<<"$status_line"; }
  printf 'fuzz_%s: %s s, %s executions, %s exec/s, cov %s, ft %s, corpus %s, %s new units, ' \
    "$target" "$seconds" "$(final_stat number_of_executed_units)" "$(final_stat average_exec_per_sec)" \
    "$(field cov)" "$(field ft)" "$(field corp)" "$(final_stat new_units_added)"
  printf 'peak RSS %s MB, slowest unit %s s: %s\n' "$(final_stat peak_rss_mb)" \
    "$(final_stat slowest_unit_time_sec)" "$result"
}

status=0
summaries=()
for target in "${targets[@]}"; do
  log="build/fuzz/logs/$target.log"
  echo "fuzz_$target: ${seconds} s (log: $log)"
  # -rss_limit_mb: no input may make the parser hold more than 512 MiB (inputs are < 1 MiB).
  if ./build/fuzz/fuzz/fuzz_$target "$work/$target" -dict="fuzz/$target.dict" \
    -max_total_time="$seconds" -rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$target-" \
    >"$log" 2>&1; then
    result="no findings"
  else
    result="FAILED (exit $?; see $log and build/fuzz/artifacts/$target-*)"
    status=1
  fi
  tail -n 12 "$log"
  summaries+=("$(summarize "$target" "$log" "$result")")
done
printf '%s\n' "${summaries[@]}"
exit $status
