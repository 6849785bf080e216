#!/usr/bin/env bash
# A model checkpoint (what vaednn::save_checkpoint(file, vae) writes for a program with its own
# training loop): vae_sample draws from it, with --data and without (then only the pictures that
# need no test images, and a note); vae_train --resume refuses it with one clear error, exit 1,
# before it touches any folder.
# Usage: model_checkpoint.sh VAE_TRAIN VAE_SAMPLE MODEL_CHECKPOINT_TOOL WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" vae_sample="$2" to_model="$3" work="$4" mnist="$5"
begin_script_test "$work"
make_mini_mnist "$mnist" "$work/mini-mnist" 64 32

expect 0 '====> Epoch: 1 ' "$vae_train" --threads 2 --batch-size 32 --hidden 8 --latent 2 --quiet \
  --data "$work/mini-mnist" --epochs 1 --out "$work/run"
"$to_model" "$work/run/checkpoint.safetensors" "$work/model.safetensors" ||
  fail "the model checkpoint was not written"

expect 0 'wrote samples.png, manifold.png to ' \
  "$vae_sample" --checkpoint "$work/model.safetensors" --out "$work/no-data" --count 4 \
  --manifold 3 --threads 2
[[ $out == *"no data"* ]] && fail "a note about --data for pictures not asked for"
[[ -s $work/no-data/samples.png && -s $work/no-data/manifold.png ]] || fail "pictures missing"
[[ -e $work/no-data/reconstructions.png ]] && fail "reconstructions without data"

# Asked for a reconstruction without data: said why not, and the rest written.
expect 0 'no reconstructions: .*model.safetensors names no data, pass --data' \
  "$vae_sample" --checkpoint "$work/model.safetensors" --out "$work/no-data" --count 4 \
  --reconstruct 1 --threads 2
# With data and no picture asked for: the default set, one reconstruction per class included.
expect 0 'wrote samples.png, reconstructions.png, manifold.png, latent_map.png' \
  "$vae_sample" --checkpoint "$work/model.safetensors" --data "$work/mini-mnist" \
  --out "$work/with-data" --threads 2
[[ $out == *"no data"* ]] && fail "a note about --data although it was given"
# Only what was asked for.
expect 0 'wrote reconstructions.png to ' \
  "$vae_sample" --checkpoint "$work/model.safetensors" --data "$work/mini-mnist" \
  --out "$work/only" --reconstruct 0,3 --threads 2
[[ -e $work/only/samples.png || -e $work/only/manifold.png ]] && fail "pictures not asked for"

expect 1 "vae_train: .*model.safetensors: holds a model only, .* not resumed" \
  "$vae_train" --resume "$work/model.safetensors" --epochs 2 --out "$work/resumed"
[[ -e $work/resumed ]] && fail "a refused resume created its folder"
echo "PASS: model checkpoints sample and are not resumed"
