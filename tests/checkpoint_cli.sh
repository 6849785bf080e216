#!/usr/bin/env bash
# vae_train's checkpoints from the command line: vae_sample draws from one; --resume refuses flags
# that conflict with it; a corrupt or truncated checkpoint gives one clear error, exit code 1, and
# leaves every file of the run as it was. Usage: checkpoint_cli.sh VAE_TRAIN VAE_SAMPLE WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" vae_sample="$2" work="$3"
run="$work/run"
begin_script_test "$work"

expect 0 '====> Epoch: 1 ' "$vae_train" --threads 2 --epochs 1 --limit 512 --hidden 32 \
  --latent 2 --quiet --out "$run"
for f in metrics.csv timing.json loss_curves.png samples_epoch_001.png \
         reconstruction_epoch_001.png checkpoint.safetensors; do
  [[ -s $run/$f ]] || fail "the run did not write $f"
done

expect 0 'wrote samples.png, reconstructions.png, interpolation.png, manifold.png' \
  "$vae_sample" --checkpoint "$run/checkpoint.safetensors" --out "$work/pictures" --count 16 \
  --reconstruct 0,1000,2000 --interpolate 5,1500 --steps 6 --manifold 8
for f in samples reconstructions interpolation manifold; do
  [[ -s $work/pictures/$f.png ]] || fail "vae_sample did not write $f.png"
done
expect 2 'vae_sample: test image 10000 does not exist: the test set holds 10000' \
  "$vae_sample" --checkpoint "$run/checkpoint.safetensors" --out "$work/pictures" --reconstruct 10000

expect 2 'vae_train: --hidden cannot be combined with --resume: the checkpoint fixes it' \
  "$vae_train" --resume "$run/checkpoint.safetensors" --hidden 64 --out "$run"

# A corrupt copy (the header's opening brace overwritten) and a truncated one.
cp "$run/checkpoint.safetensors" "$run/corrupt.safetensors"
printf '#' | dd of="$run/corrupt.safetensors" bs=1 seek=8 conv=notrunc status=none
size=$(stat -c %s "$run/checkpoint.safetensors")
head -c $((size / 2)) "$run/checkpoint.safetensors" >"$run/cut.safetensors"
before="$(sha256sum "$run"/* | sort)"
expect 1 'vae_train: .*corrupt.safetensors: the header is not valid JSON' \
  "$vae_train" --resume "$run/corrupt.safetensors" --epochs 2 --out "$run"
expect 1 'vae_train: .*cut.safetensors: the tensors cover [0-9]+ bytes but the file holds' \
  "$vae_train" --resume "$run/cut.safetensors" --epochs 2 --out "$run"
after="$(sha256sum "$run"/* | sort)"
[[ $before == "$after" ]] || fail "a failed resume changed the run's files"
echo "PASS: checkpoints from the command line"
