#!/usr/bin/env bash
# Faults across the processes of one MPI job: whichever way one process ends, every process stops
# within 30 s, the job exits non-zero, and the last checkpoint is unchanged, byte for byte.
#   kill-rank    rank 1 is killed with SIGKILL mid-training: mpirun ends the others
#   rank-error   rank 1 alone fails (an injected error): it says so and MPI_Abort ends the others
#   rank-nan     rank 1 alone goes NaN: the gradient sum spreads it, every rank stops at that step
# Usage: mpi_faults.sh CHECK MPIEXEC VAE_TRAIN WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/mpi_test.sh"
check="$1" vae_train="$3" work="$4" mnist="$5"
use_mpiexec "$2"
begin_script_test "$work"
make_mini_mnist "$mnist" "$work/mini" 400 40

# A checkpoint to resume from; the job under test would overwrite it only at its end (epoch 1000),
# so any change to it is the fault's.
"$vae_train" --data "$work/mini" --batch-size 8 --hidden 16 --latent 4 --threads 1 --quiet \
  --epochs 1 --out "$work/run" >"$work/first.log" 2>&1 || { cat "$work/first.log"; fail "the first run"; }
cp "$work/run/checkpoint.safetensors" "$work/checkpoint.before"

# The job, in the background: its launcher's pid in $job, its output in $work/job.log.
start_job() {
  "$mpiexec" -np 2 "$@" "$vae_train" --resume "$work/run/checkpoint.safetensors" --epochs 1000 \
    --checkpoint-every 1000 --threads 1 --quiet >"$work/job.log" 2>&1 &
  job=$!
}

# Whether process PID still runs: a zombie does not (an init that never reaps leaves them).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ $state != Z* ]]
}

# Waits at most 30 s for the job to end, then requires a non-zero exit, no process of it left,
# and the checkpoint as it was.
expect_job_stopped() {
  local deadline=$((SECONDS + 30)) status=0
  while kill -0 "$job" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -0 "$job" 2>/dev/null && { cat "$work/job.log"; fail "the job still runs 30 s after the fault"; }
  wait "$job" || status=$?
  cat "$work/job.log"
  [[ $status != 0 ]] || fail "the job exited 0 after a fault"
  for pid in "${ranks[@]}"; do
    alive "$pid" && fail "process $pid of the job outlived it"
  done
  cmp "$work/checkpoint.before" "$work/run/checkpoint.safetensors" || fail "the checkpoint changed"
  echo "the job exited $status"
}

# The pids of the job's processes, rank 0 first (mpirun starts them as its children).
find_ranks() {
  ranks=()
  local rank pid
  for rank in 0 1; do
    for pid in $(pgrep -P "$job"); do
      if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
        ranks+=("$pid")
      fi
    done
  done
  [[ ${#ranks[@]} == 2 ]] || fail "found ${#ranks[@]} processes of the job, expected 2"
}

case "$check" in
  kill-rank)
    start_job
    # Both processes are in training once an epoch of the job is done (it needed both).
    wait_for_line "$work/job.log" '====> Epoch: 2 ' "$job"
    find_ranks
    kill -KILL "${ranks[1]}"
    expect_job_stopped
    echo "PASS: killing rank 1 ended the job, and the checkpoint is unchanged"
    ;;
  rank-error)
    start_job -x VAEDNN_FAULT_RANK=1 -x VAEDNN_FAULT_ERROR_AFTER_STEPS=60
    wait_for_line "$work/job.log" '^output ' "$job"
    find_ranks
    expect_job_stopped
    grep -q 'vae_train: rank 1 of 2: an injected fault after step 60' "$work/job.log" ||
      fail "no message from the failing rank"
    echo "PASS: an error of rank 1 alone ended the job with its message, and the checkpoint is unchanged"
    ;;
  rank-nan)
    start_job -x VAEDNN_FAULT_RANK=1 -x VAEDNN_FAULT_NAN_AFTER_STEPS=60
    wait_for_line "$work/job.log" '^output ' "$job"
    find_ranks
    expect_job_stopped
    # Every rank sees the NaN at the same step and says so; the first to abort may end the others
    # before they print, so any rank's line will do.
    grep -Eq 'vae_train: rank [01] of 2: .*(nan|not finite)' "$work/job.log" ||
      fail "no rank said that the model diverged"
    echo "PASS: a NaN on rank 1 alone stopped every rank, and the checkpoint is unchanged"
    ;;
  *) fail "unknown check '$check'" ;;
esac
