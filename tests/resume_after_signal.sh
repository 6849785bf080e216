#!/usr/bin/env bash
# Stops a training run with SIGINT mid-epoch, resumes it from its checkpoint, and requires the
# loss columns of metrics.csv to equal those of an uninterrupted run with the same seed and
# threads, to the last digit. Usage: resume_after_signal.sh VAE_TRAIN WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
set -e
vae_train="$1" work="$2" mnist="$3"
begin_script_test "$work"
# 2048 training and 256 test images: three runs of three epochs stay short on a loaded machine.
make_mini_mnist "$mnist" "$work/mini-mnist" 2048 256
args=(--data "$work/mini-mnist" --threads 2 --epochs 3 --hidden 64 --seed 7 --quiet)

"$vae_train" "${args[@]}" --out "$work/straight" >"$work/straight.log" 2>&1 ||
  { cat "$work/straight.log"; echo "FAIL: the uninterrupted run"; exit 1; }

"$vae_train" "${args[@]}" --out "$work/stopped" >"$work/first.log" 2>&1 &
pid=$!
# Signal once training has started (the start table is out), early in epoch 1.
for _ in $(seq 1 200); do
  grep -q '^output' "$work/first.log" 2>/dev/null && break
  sleep 0.05
done
sleep 0.3
kill -INT "$pid"
status=0
wait "$pid" || status=$?
cat "$work/first.log"
[[ $status == 0 ]] || { echo "FAIL: the stopped run exited $status, expected 0"; exit 1; }
grep -q 'stopped by signal 2' "$work/first.log" || { echo "FAIL: no stop message"; exit 1; }
grep -q 'resume with: vae_train --resume' "$work/first.log" || { echo "FAIL: no resume hint"; exit 1; }

"$vae_train" --resume "$work/stopped/checkpoint.safetensors" --epochs 3 --threads 2 --quiet \
  --out "$work/stopped" >"$work/second.log" 2>&1 || { cat "$work/second.log"; echo "FAIL: resume"; exit 1; }
cat "$work/second.log"

cut -d, -f1-7 "$work/straight/metrics.csv" >"$work/straight.csv"
cut -d, -f1-7 "$work/stopped/metrics.csv" >"$work/resumed.csv"
if ! diff "$work/straight.csv" "$work/resumed.csv"; then
  echo "FAIL: the resumed run's metrics differ from the uninterrupted run's"
  exit 1
fi
[[ $(wc -l <"$work/resumed.csv") == 4 ]] || { echo "FAIL: expected 3 epochs of metrics"; exit 1; }
echo "PASS: stopped, resumed, and equal to the uninterrupted run"
