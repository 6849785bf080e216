#!/usr/bin/env bash
# The output folder, files and streams of vae_train as an attacker or a careless user meets them:
# planted symlinks, a second run in the same folder, another run's files, --resume without
# --out, a torn metrics row, an unwritable folder, a figure that cannot be written, other data
# behind a checkpoint, FIFOs, closed and full output streams, SIGHUP, two quick Ctrl-Cs, a folder
# name that is shell syntax, and configurations too large for the memory.
# Every wait is for an event (a line printed, a process ended), never a fixed time.
# Usage: run_folder.sh VAE_TRAIN WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" work="$2" mnist="$3"
begin_script_test "$work"
cd "$work" || exit 1
# A small dataset cut from MNIST (64 training and 32 test images), so that each of the many runs
# below takes moments even under the sanitizers.
make_mini_mnist "$mnist" mini-mnist 64 32
mnist="$work/mini-mnist"
tiny=(--threads 2 --batch-size 32 --hidden 8 --latent 2 --quiet)
T=("${tiny[@]}" --data "$mnist")
# --- Symlinks planted at every name a run writes or locks: nothing is written through them.
echo "precious" >victim
mkdir planted
for name in .vaednn.lock checkpoint.safetensors.tmp metrics.csv.tmp timing.json.tmp \
            samples_epoch_001.png.tmp .checkpoint.safetensors.tmp-AAAAAA; do
  ln -s "$work/victim" "planted/$name"
done
expect 1 'planted: cannot use the output folder' "$vae_train" "${T[@]}" --epochs 1 --out planted
rm planted/.vaednn.lock
expect 0 '====> Epoch: 1 ' "$vae_train" "${T[@]}" --epochs 1 --out planted
[[ $(cat victim) == precious ]] || fail "a planted symlink was written through"
[[ -e planted/.checkpoint.safetensors.tmp-AAAAAA ]] && fail "a stale temporary was left"
echo "ok: planted symlinks"

# --- Without --quiet the run ends with what it reached and the commands that use it.
"$vae_train" --threads 2 --batch-size 32 --hidden 8 --latent 2 --data "$mnist" --epochs 2 \
  --out summary >summary.log 2>&1 || fail "the run to summarise failed"
grep -Eq '^done: epoch 2 after .*test -ELBO [0-9.]+ nats, the best [0-9.]+ after epoch [12]$' \
  summary.log || { cat summary.log; fail "no summary line at the end of the run"; }
grep -q '^pictures: *vae_sample --checkpoint summary/checkpoint.safetensors$' summary.log ||
  fail "the summary does not say how to draw pictures"
echo "ok: the summary"

# --- A second run into a folder in use is refused while the first goes on.
"$vae_train" "${T[@]}" --epochs 100000 --out busy >busy.log 2>&1 &
first=$!
wait_for_line busy.log '^====> Epoch: 1 ' "$first"
expect 1 "busy: is in use by another run \\(process $first\\)" "$vae_train" "${T[@]}" --epochs 1 --out busy
kill -TERM "$first"
wait "$first" || fail "the first run did not stop cleanly on SIGTERM"
grep -q 'stopped by signal 15' busy.log || fail "no stop message after SIGTERM"
[[ $(grep -c '' busy/metrics.csv) -ge 2 ]] || fail "the first run's metrics are gone"
echo "ok: one run per folder"

# --- Another run's files: refused, kept; --overwrite replaces all of them.
expect 0 '====> Epoch: 2 ' "$vae_train" "${T[@]}" --epochs 2 --out other
before="$(sha256sum other/* | sort)"
expect 2 "other holds another run's files \\(checkpoint.safetensors, latent_map.png, loss_curves.png and [0-9]+ more\\).*--overwrite" \
  "$vae_train" "${T[@]}" --epochs 1 --out other
[[ "$(sha256sum other/* | sort)" == "$before" ]] || fail "a refused run changed the folder"
expect 0 '====> Epoch: 1 ' "$vae_train" "${T[@]}" --epochs 1 --out other --overwrite
[[ -e other/samples_epoch_002.png ]] && fail "--overwrite left the old run's epoch-2 figure"
[[ $(grep -c '' other/metrics.csv) == 2 ]] || fail "--overwrite kept old metrics rows"
echo "ok: another run's files"

# --- --resume without --out writes next to the checkpoint, never into ./out.
expect 0 '====> Epoch: 1 ' "$vae_train" "${T[@]}" --epochs 1 --out next
expect 0 'output +next' "$vae_train" --resume next/checkpoint.safetensors --epochs 2 --threads 2 --quiet
[[ -e out ]] && fail "--resume without --out wrote into ./out"
[[ $(grep -c '' next/metrics.csv) == 3 ]] || fail "the resumed run's row is not beside the others"
echo "ok: --resume writes next to its checkpoint"

# --- A torn last metrics row (a crash in an older version) does not block --resume.
head -c -7 next/metrics.csv >torn.csv && cat torn.csv >next/metrics.csv
expect 0 '====> Epoch: 3 ' "$vae_train" --resume next/checkpoint.safetensors --epochs 3 --threads 2 --quiet
[[ $(cut -d, -f1 next/metrics.csv | tr '\n' ' ') == 'epoch 1 3 ' ]] ||
  fail "metrics.csv after a torn row: $(cut -d, -f1 next/metrics.csv | tr '\n' ' ')"
echo "ok: torn metrics row"

# --- A folder that cannot be written is found before any training.
expect 1 'cannot create the output folder' "$vae_train" "${T[@]}" --epochs 1 --out /proc/vaednn-test
[[ $out == *'====> Epoch'* ]] && fail "trained before finding the folder unusable"
out="$(trap '' XFSZ; ulimit -f 0; "$vae_train" "${T[@]}" --epochs 1 --out full 2>&1)"
status=$?
echo "$out" | tail -n 1
[[ $status == 1 ]] || fail "a full disk at the start exited $status, expected 1"
grep -q 'cannot write' <<<"$out" || fail "no clear error for a full disk at the start"
[[ $out == *'====> Epoch'* ]] && fail "trained before finding the disk full"
echo "ok: unwritable folder found first"

# --- A figure that cannot be written is reported and costs no checkpoint.
expect 0 '====> Epoch: 1 ' "$vae_train" "${T[@]}" --epochs 1 --out figure
mkdir figure/samples_epoch_002.png  # a folder in the way: the PNG cannot be renamed into place
expect 0 "warning: epoch 2's figures were not written" \
  "$vae_train" --resume figure/checkpoint.safetensors --epochs 2 --threads 2 --quiet
[[ $(grep -c '' figure/metrics.csv) == 3 ]] || fail "epoch 2 was lost with its figure"
expect 0 'resumed at epoch 3' "$vae_train" --resume figure/checkpoint.safetensors --epochs 3 --threads 2
echo "ok: a failed figure costs nothing"

# --- Other data behind the same image count is refused on resume; other threads warn.
mkdir -p zeros
for f in train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do cp "$mnist/$f" zeros/; done
{ head -c 16 "$mnist/train-images-idx3-ubyte"; head -c $(($(stat -c %s "$mnist/train-images-idx3-ubyte") - 16)) /dev/zero; } \
  >zeros/train-images-idx3-ubyte
expect 0 '====> Epoch: 1 ' "$vae_train" "${T[@]}" --epochs 1 --out digest
expect 1 'digest/checkpoint.safetensors: was trained on other data than .*zeros holds now' \
  "$vae_train" --resume digest/checkpoint.safetensors --epochs 2 --data zeros
expect 0 'written by a run with 2 threads and this one uses 1' \
  "$vae_train" --resume digest/checkpoint.safetensors --epochs 2 --threads 1 --quiet
echo "ok: resume checks data and threads"

# --- FIFOs are refused at once, never waited on.
mkfifo fifo.safetensors
expect 1 'fifo.safetensors: .*not a regular file' timeout 60 "$vae_train" --resume fifo.safetensors --epochs 2
mkdir fifo-data
for f in train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do cp "$mnist/$f" fifo-data/; done
mkfifo fifo-data/train-images-idx3-ubyte
expect 1 'train-images-idx3-ubyte: .*not a regular file' timeout 60 "$vae_train" "${tiny[@]}" --data fifo-data --out fifo-run
echo "ok: FIFOs"

# --- Closed or full output streams never change the exit code.
"$vae_train" --threads 0 2>&- >&-
[[ $? == 2 ]] || fail "a usage error with stderr closed did not exit 2"
"$vae_train" --data /nonexistent 2>/dev/full >/dev/full
[[ $? == 1 ]] || fail "a data error with stderr full did not exit 1"
"$vae_train" "${T[@]}" --epochs 1 --out full-stdout >/dev/full 2>&1
[[ $? == 0 ]] || fail "a good run with stdout full did not exit 0"
[[ -s full-stdout/checkpoint.safetensors ]] || fail "a run with stdout full wrote no checkpoint"
echo "ok: closed and full streams"

# --- SIGHUP stops like SIGTERM; two quick SIGINTs still checkpoint; the printed resume command
# quotes a folder name that is shell syntax.
weird='we ird;$(touch pwned)'
"$vae_train" "${T[@]}" --epochs 100000 --out "$weird" >hup.log 2>&1 &
pid=$!
wait_for_line hup.log '^====> Epoch: 1 ' "$pid"
kill -HUP "$pid"
wait "$pid" || fail "SIGHUP: exit code $?, expected 0"
grep -q 'stopped by signal 1' hup.log || fail "no stop message after SIGHUP"
command="$(sed -n 's/^resume with: //p' hup.log)"
[[ -n $command ]] || fail "no resume command printed"
eval "set -- $command"
[[ $3 == "$weird/checkpoint.safetensors" && $7 == "$weird" ]] || fail "the resume command is not quoted: $command"
[[ -e pwned ]] && fail "the resume command ran a command"
"$vae_train" --resume "$weird/checkpoint.safetensors" --epochs 100000 --quiet >int.log 2>&1 &
pid=$!
wait_for_line int.log '^====> Epoch: ' "$pid"
kill -INT "$pid"; kill -INT "$pid"
wait "$pid" || fail "two SIGINTs: exit code $?, expected 0"
grep -q 'stopped by signal 2' int.log || { cat int.log; fail "two quick SIGINTs did not end in a checkpoint"; }
echo "ok: signals and quoting"

# --- A configuration too large for the memory is refused before it allocates.
expect 2 'needs about [0-9.]+ GiB of memory, more than --max-memory' \
  "$vae_train" --hidden 8192 --batch-size 65536 --epochs 1 --out big
expect 2 'more than --max-memory 1.0 MiB' "$vae_train" "${T[@]}" --epochs 1 --max-memory 1MB --out too-small
[[ -e big || -e too-small ]] && fail "a refused configuration created its folder"
echo "PASS: output folders, files and streams lose nothing"
