#!/usr/bin/env bash
# Faults that must lose nothing:
#   1. SIGKILL at random moments, many times (checkpoints are written every tiny epoch, so kills
#      land inside checkpoint writes too): the newest checkpoint always loads and resumes. Each
#      kill waits for an event (the run's first epoch line: it has written a checkpoint), never
#      for a fixed time, so a loaded machine only slows the test down.
#   2. The disk fills during a checkpoint write (a file-size limit, SIGXFSZ ignored, so the write
#      fails with EFBIG): a clear error, exit 1, and the previous checkpoint intact.
#   3. A NaN in the loss, and one in the parameters after an epoch's last update: training stops
#      with a clear error, exit 1, and the last good checkpoint and metrics.csv are unchanged.
# Usage: faults.sh VAE_TRAIN WORK_DIR MNIST_DIR [KILLS]
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" work="$2" mnist="$3" kills="${4:-25}"
begin_script_test "$work"
# 96 training and 64 test images: epochs of 3 steps that take moments even under load.
make_mini_mnist "$mnist" "$work/mini-mnist" 96 64
small=(--threads 2 --batch-size 32 --hidden 16 --latent 4 --quiet --data "$work/mini-mnist")

# --- 1. SIGKILL at random moments.
run="$work/killed"
RANDOM=12345  # the kill times are random but the same every run of the test
loaded=0
interrupted_writes=0
for i in $(seq 1 "$kills"); do
  # Every fifth run kills itself halfway through writing a checkpoint (a fault hook), the
  # others are killed from outside at a random moment.
  fault=()
  ((i % 5 == 0)) && fault=(env VAEDNN_FAULT_KILL_IN_CHECKPOINT_WRITE=1)
  if [[ -f $run/checkpoint.safetensors ]]; then
    "${fault[@]}" "$vae_train" --resume "$run/checkpoint.safetensors" --epochs 100000 --out "$run" >"$work/kill.log" 2>&1 &
  else
    # --overwrite: a run killed before its first checkpoint may have left metrics.csv.
    "${fault[@]}" "$vae_train" "${small[@]}" --epochs 100000 --out "$run" --overwrite >"$work/kill.log" 2>&1 &
  fi
  pid=$!
  if ((${#fault[@]} == 0)); then
    # Wait until this run has finished an epoch and a checkpoint exists, or it has ended.
    until { grep -q '^====> Epoch' "$work/kill.log" && [[ -f $run/checkpoint.safetensors ]]; } 2>/dev/null ||
      ! kill -0 "$pid" 2>/dev/null; do
      sleep 0.05
    done
    # Then kill it at a random moment of the next few epochs (where it lands, not whether the
    # test passes, depends on the timing).
    sleep "0.$((RANDOM % 400))"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  # A temporary file left behind means the kill landed inside a checkpoint write (the next run
  # into the folder removes it).
  if compgen -G "$run/.checkpoint.safetensors.tmp-*" >/dev/null; then
    interrupted_writes=$((interrupted_writes + 1))
  fi
  [[ -f $run/checkpoint.safetensors ]] || continue  # killed before the first epoch ended
  # The newest checkpoint must load and train on: one more epoch from it, to completion.
  epochs=$(grep -c '^[0-9]' "$run/metrics.csv" 2>/dev/null || echo 0)
  "$vae_train" --resume "$run/checkpoint.safetensors" --epochs $((epochs + 1)) \
    --out "$work/probe" >"$work/probe.log" 2>&1 ||
    { cat "$work/probe.log"; fail "after kill $i the newest checkpoint did not resume"; }
  rm -rf "$work/probe"
  loaded=$((loaded + 1))
done
((loaded >= kills / 2)) || fail "only $loaded of $kills kills left a checkpoint to test"
((interrupted_writes >= kills / 5)) || fail "only $interrupted_writes kills landed inside a checkpoint write"
echo "killed $kills times ($interrupted_writes inside a checkpoint write); the newest checkpoint" \
  "loaded and resumed after $loaded of them"

# --- 2. The disk fills during a checkpoint write.
run="$work/full"
"$vae_train" "${small[@]}" --epochs 1 --out "$run" >/dev/null 2>&1 || fail "the first epoch"
before=$(sha256sum "$run/checkpoint.safetensors")
size=$(stat -c %s "$run/checkpoint.safetensors")
out="$(
  trap '' XFSZ
  ulimit -f $((size / 2048))  # 1 KiB blocks: half of what the checkpoint needs
  "$vae_train" --resume "$run/checkpoint.safetensors" --epochs 2 --out "$run" 2>&1
)"
status=$?
echo "$out" | tail -n 2
[[ $status == 1 ]] || fail "a failed checkpoint write exited $status, expected 1"
grep -q 'checkpoint.safetensors: cannot write: File too large' <<<"$out" || fail "no clear write error"
[[ $(sha256sum "$run/checkpoint.safetensors") == "$before" ]] || fail "the previous checkpoint changed"
"$vae_train" --resume "$run/checkpoint.safetensors" --epochs 2 --out "$work/after-full" >/dev/null 2>&1 ||
  fail "the previous checkpoint does not resume after the failed write"
echo "a full disk during a checkpoint write left the previous checkpoint intact"

# --- 3. NaN in the loss.
run="$work/nan"
"$vae_train" "${small[@]}" --epochs 1 --out "$run" >/dev/null 2>&1 || fail "the first epoch"
before=$(sha256sum "$run/checkpoint.safetensors")
out="$(VAEDNN_FAULT_NAN_AFTER_STEPS=2 "$vae_train" --resume "$run/checkpoint.safetensors" --epochs 3 --out "$run" 2>&1)"
status=$?
echo "$out" | tail -n 1
[[ $status == 1 ]] || fail "a NaN loss exited $status, expected 1"
grep -Eq 'the loss is nan at epoch 2, batch 3 of 3 .*training stopped and the last good checkpoint .*checkpoint.safetensors \(epoch 1\) is unchanged' <<<"$out" ||
  fail "no clear NaN error"
[[ $(sha256sum "$run/checkpoint.safetensors") == "$before" ]] || fail "the last good checkpoint changed"

# One step per epoch, the parameters poisoned after step 3 (the last update of epoch 3): the
# loss of that step was finite, so only the guard after the update and before the test loss,
# the metrics row and the checkpoint can catch it.
run="$work/nan-last-update"
one_step=(--threads 2 --limit 32 --batch-size 32 --hidden 16 --latent 4 --quiet --data "$work/mini-mnist")
"$vae_train" "${one_step[@]}" --epochs 2 --out "$run" >/dev/null 2>&1 || fail "two one-step epochs"
before=$(sha256sum "$run/checkpoint.safetensors" "$run/metrics.csv")
out="$(VAEDNN_FAULT_NAN_AFTER_STEPS=1 "$vae_train" --resume "$run/checkpoint.safetensors" --epochs 4 2>&1)"
status=$?
echo "$out" | tail -n 1
[[ $status == 1 ]] || fail "NaN parameters after an epoch's last update exited $status, expected 1"
grep -Eq 'the parameters are not finite after (the update of )?epoch 3.*the last good checkpoint .* \(epoch 2\) is unchanged' <<<"$out" ||
  fail "no clear message for NaN parameters"
grep -q 'test loss nan' <<<"$out" && fail "an epoch with NaN parameters was reported"
[[ $(sha256sum "$run/checkpoint.safetensors" "$run/metrics.csv") == "$before" ]] ||
  fail "the last good checkpoint or metrics.csv changed"
echo "PASS: faults lost nothing"
