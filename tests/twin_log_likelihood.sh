#!/usr/bin/env bash
# vae_eval's importance-sampled log-likelihood equals the PyTorch twin's on the same checkpoint
# and test images. The twin draws vae_eval's own noise (the counter-based stream, re-implemented
# in numpy), so the two agree image by image up to float rounding (a few 1e-4 nats), far inside
# the 0.2 nats allowed; with grey and with fixed-binarised targets.
# Usage: twin_log_likelihood.sh VAE_TRAIN VAE_EVAL TWIN WORK_DIR MNIST_DIR  (exit 77: no torch)
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" vae_eval="$2" twin="$3" work="$4" mnist="$5"
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "SKIP: no python3-torch"; exit 77; }
begin_script_test "$work"
make_mini_mnist "$mnist" "$work/data" 512 24

expect 0 '====> Epoch: 1 ' "$vae_train" --data "$work/data" --threads 2 --epochs 1 --hidden 64 \
  --latent 8 --quiet --out "$work/run"
checkpoint="$work/run/checkpoint.safetensors"
for binarize in none fixed; do
  expect 0 'log p\(x\)' "$vae_eval" "$checkpoint" --k 50 --limit 24 --seed 3 --threads 2 \
    --binarize "$binarize" --json "$work/eval-$binarize.json"
  expect 0 'PASS' /usr/bin/python3 "$twin" log-likelihood --checkpoint "$checkpoint" \
    --compare "$work/eval-$binarize.json" --tolerance 0.01 --threads 2
done
# A piece of the test set that does not start at its first image: the twin reads --first from
# the report and draws the binarisation and the noise of those images.
expect 0 'log p\(x\)' "$vae_eval" "$checkpoint" --k 50 --first 10 --limit 8 --seed 3 --threads 2 \
  --binarize fixed --json "$work/eval-piece.json"
expect 0 'PASS' /usr/bin/python3 "$twin" log-likelihood --checkpoint "$checkpoint" \
  --compare "$work/eval-piece.json" --tolerance 0.01 --threads 2
echo "PASS: vae_eval equals the twin"
