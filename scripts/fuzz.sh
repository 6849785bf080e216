#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time from seed corpora made of real
# files (the fetched MNIST, a checkpoint written by vae_train). Crashes, leaks and over-limit
# allocations fail the run; the input that caused one is left in build/fuzz/artifacts/ and belongs
# in tests/fuzz_regressions/ once fixed.
#   scripts/fuzz.sh [seconds per fuzzer, default 60]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
cd "$repo_root"

"$repo_root/scripts/setup.sh" --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
work="build/fuzz/work"
rm -rf "$work"
mkdir -p "$work/idx" "$work/safetensors" build/fuzz/artifacts

# IDX seeds: small real files raw and gzipped, each behind the rank byte the target reads first.
for f in data/mnist/t10k-labels-idx1-ubyte; do
  { printf '\x00'; head -c 600 "$f"; } >"$work/idx/labels"
done
{ printf '\x02'; printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c';
  head -c $((16 + 1568)) data/mnist/t10k-images-idx3-ubyte | tail -c 1568; } >"$work/idx/images2"
{ printf '\x00'; head -c 600 data/mnist/t10k-labels-idx1-ubyte | gzip -c; } >"$work/idx/labels.gz"
{ printf '\x02'; tail -c +2 "$work/idx/images2" | gzip -c; } >"$work/idx/images2.gz"
cp tests/fuzz_regressions/idx/* "$work/idx/" 2>/dev/null || true

# Safetensors seeds: a real checkpoint of a tiny model, and the regression inputs.
[[ -x build/release/apps/vae_train ]] || scripts/build.sh release
./build/release/apps/vae_train --threads 1 --epochs 1 --limit 64 --hidden 4 --latent 2 --quiet \
  --batch-size 32 --out "$work/run" >/dev/null
cp "$work/run/checkpoint.safetensors" "$work/safetensors/checkpoint"
cp tests/fuzz_regressions/safetensors/* "$work/safetensors/" 2>/dev/null || true

status=0
for target in idx safetensors; do
  echo "fuzz_$target: ${seconds} s"
  # -rss_limit_mb: no input may make the parser hold more than 512 MiB (inputs are < 1 MiB).
  ./build/fuzz/fuzz/fuzz_$target "$work/$target" -dict="fuzz/$target.dict" -max_total_time="$seconds" \
    -rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/artifacts/$target-" 2>&1 | tail -n 12 || status=1
done
exit $status
