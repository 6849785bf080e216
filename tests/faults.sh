#!/usr/bin/env bash
# Faults that must lose nothing:
#   1. SIGKILL at random moments, many times (checkpoints are written every tiny epoch, so kills
#      land inside checkpoint writes too): the newest checkpoint always loads and resumes.
#   2. The disk fills during a checkpoint write (a file-size limit, SIGXFSZ ignored, so the write
#      fails with EFBIG): a clear error, exit 1, and the previous checkpoint intact.
#   3. A NaN in the loss: training stops with a clear error, exit 1, and the last good checkpoint
#      is unchanged.
# Usage: faults.sh VAE_TRAIN WORK_DIR [KILLS]
set -uo pipefail
vae_train="$1"
work="$2"
kills="${3:-25}"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
small=(--threads 2 --limit 96 --batch-size 32 --hidden 16 --latent 4 --quiet)

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
    "${fault[@]}" "$vae_train" "${small[@]}" --epochs 100000 --out "$run" >"$work/kill.log" 2>&1 &
  fi
  pid=$!
  if ((${#fault[@]} == 0)); then
    sleep "0.$((200 + RANDOM % 800))"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  # A temporary file left behind means the kill landed inside a checkpoint write.
  if [[ -f $run/checkpoint.safetensors.tmp ]]; then
    interrupted_writes=$((interrupted_writes + 1))
    rm -f "$run/checkpoint.safetensors.tmp"
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
grep -Eq 'the loss is nan at epoch 2, batch 3 of 3 .*the last good checkpoint .* is unchanged' <<<"$out" ||
  fail "no clear NaN error"
[[ $(sha256sum "$run/checkpoint.safetensors") == "$before" ]] || fail "the last good checkpoint changed"
echo "PASS: faults lost nothing"
