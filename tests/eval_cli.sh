#!/usr/bin/env bash
# vae_eval from the command line: the result lines and the JSON report of a small checkpoint,
# plain progress lines when stdout is not a terminal, exit code 2 with one sentence for a bad
# flag, 1 for a checkpoint that cannot be read; and vae_train --eval-k reporting log p(x) at the
# end of training. Usage: eval_cli.sh VAE_TRAIN VAE_EVAL WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" vae_eval="$2" work="$3" mnist="$4"
begin_script_test "$work"
make_mini_mnist "$mnist" "$work/data" 256 40

expect 0 '====> Test set: -ELBO [0-9.]+  log p\(x\) -[0-9.]+ ± [0-9.]+ nats \(k = 8, 40 test images' \
  "$vae_train" --data "$work/data" --threads 2 --epochs 1 --hidden 32 --latent 4 --quiet \
  --eval-k 8 --out "$work/run"
checkpoint="$work/run/checkpoint.safetensors"

expect 0 '^-ELBO +[0-9.]+ ± [0-9.]+ nats +\(reconstruction [0-9.]+, KL [0-9.]+\)$' \
  "$vae_eval" "$checkpoint" --k 20 --limit 30 --threads 2 --json "$work/eval.json"
grep -Eq '^log p\(x\) +-[0-9.]+ ± [0-9.]+ nats +\(k = 20, importance sampled\)$' <<<"$out" ||
  fail "no log p(x) line"
grep -Eq '^images +30 +time [0-9.]+ s$' <<<"$out" || fail "no images line"
grep -q 'vae_eval: 100% (30 of 30 images)' <<<"$out" || fail "no plain progress line"
grep -q '"per_image_log_likelihood"' "$work/eval.json" || fail "eval.json lacks per-image values"
grep -q '"k": 20' "$work/eval.json" || fail "eval.json lacks k"
ls -a "$work" | grep -q '\.tmp-' && fail "a temporary was left beside eval.json"

# The same seed gives the same numbers; the estimate is at least the ELBO's (on average).
expect 0 'log p\(x\)' "$vae_eval" --checkpoint "$checkpoint" --k 20 --limit 30 --threads 2 \
  --json "$work/again.json"
cmp -s <(grep -v seconds "$work/eval.json") <(grep -v seconds "$work/again.json") ||
  fail "the same seed gave different numbers"
expect 0 'mnist train, 10 images, binarized' "$vae_eval" "$checkpoint" --k 4 --limit 10 --binarize fixed \
  --data "$work/data" --split train

# In pieces: images 20..29 evaluated alone get the numbers the whole run gave them, grey and
# binarised (the noise and the binarisation are drawn per image of the split).
per_image() { sed -n '/"per_image_log_likelihood"/,/]/p' "$1" | grep -E '^ *-?[0-9]'; }
for binarize in none fixed; do
  expect 0 'test, 30 images' "$vae_eval" "$checkpoint" --k 20 --limit 30 --threads 2 \
    --binarize "$binarize" --json "$work/all-$binarize.json" --first 0
  expect 0 'test, 10 images from #20' "$vae_eval" "$checkpoint" --k 20 --first 20 --limit 10 --threads 2 \
    --binarize "$binarize" --json "$work/piece-$binarize.json"
  grep -q '"first_image": 20' "$work/piece-$binarize.json" || fail "piece-$binarize.json lacks first_image"
  cmp -s <(per_image "$work/all-$binarize.json" | tail -n 10) <(per_image "$work/piece-$binarize.json") ||
    fail "images 20..29 alone ($binarize) differ from the whole run's"
done
expect 2 'vae_eval: --first 40: the split has 40 images' "$vae_eval" "$checkpoint" --first 40

# The pieces put together: the report of the whole run, to the last digit.
expect 0 'test, 20 images' "$vae_eval" "$checkpoint" --k 20 --limit 20 --threads 2 \
  --binarize fixed --json "$work/head-fixed.json"
expect 0 '2 pieces of .*checkpoint.safetensors \(mnist test, images 0\.\.29, binarized\), k = 20, seed 0' \
  "$vae_eval" --combine "$work/piece-fixed.json" "$work/head-fixed.json" --json "$work/combined.json"
whole_line="$(grep '^log p(x)' <<<"$("$vae_eval" "$checkpoint" --k 20 --limit 30 --threads 2 --binarize fixed)")"
[[ $(grep '^log p(x)' <<<"$out") == "$whole_line" ]] || fail "the combined log p(x) is not the whole run's"
cmp -s <(per_image "$work/all-fixed.json") <(per_image "$work/combined.json") ||
  fail "the combined per-image values are not the whole run's"
expect 2 'vae_eval: the pieces both hold images 0\.\.19' "$vae_eval" --combine "$work/head-fixed.json" \
  "$work/all-fixed.json" --json "$work/not-written.json"
[[ -e $work/not-written.json ]] && fail "a refused combination wrote its report"
expect 0 'test, 2 images from #25' "$vae_eval" "$checkpoint" --k 20 --first 25 --limit 2 \
  --threads 2 --binarize fixed --json "$work/tail-fixed.json"
expect 2 'vae_eval: the pieces leave out images 20\.\.24' "$vae_eval" --combine "$work/head-fixed.json" \
  "$work/tail-fixed.json"
# Moved to another machine, the checkpoint has another path but the same bytes (CRC-32).
grep -Eq '"checkpoint_crc32": "[0-9a-f]{8}"' "$work/head-fixed.json" || fail "no checkpoint_crc32"
sed 's|"checkpoint": "[^"]*"|"checkpoint": "/elsewhere/checkpoint.safetensors"|' \
  "$work/piece-fixed.json" >"$work/piece-moved.json"
expect 0 '2 pieces of .*images 0\.\.29' "$vae_eval" --combine "$work/head-fixed.json" "$work/piece-moved.json"
sed 's|"checkpoint_crc32": "[0-9a-f]*"|"checkpoint_crc32": "0badf00d"|' \
  "$work/piece-fixed.json" >"$work/piece-other-model.json"
expect 2 'vae_eval: the pieces differ in checkpoint \(its CRC-32\): .*piece-other-model.json' \
  "$vae_eval" --combine "$work/head-fixed.json" "$work/piece-other-model.json"
expect 2 'vae_eval: the pieces differ in binarization' "$vae_eval" --combine "$work/head-fixed.json" \
  "$work/piece-none.json"
expect 2 'vae_eval: --k excludes --combine' "$vae_eval" --combine "$work/head-fixed.json" --k 5
printf '{"checkpoint": 5}' >"$work/not-a-report.json"
expect 1 "vae_eval: .*not-a-report.json: field 'checkpoint' is not a string" \
  "$vae_eval" --combine "$work/not-a-report.json"

expect 2 "vae_eval: --k: '0' must be between 1 and 1000000" "$vae_eval" "$checkpoint" --k 0
expect 2 "vae_eval: --k: 'many' is not a number" "$vae_eval" "$checkpoint" --k many
expect 2 'vae_eval: --kk is not an option; did you mean --k\?' "$vae_eval" "$checkpoint" --kk 5
expect 2 'vae_eval: --split: .*see --help' "$vae_eval" "$checkpoint" --split valid
expect 2 'vae_eval: --binarize: .*see --help' "$vae_eval" "$checkpoint" --binarize dynamic
expect 2 'vae_eval: a checkpoint is required, or --combine' "$vae_eval" --k 3
expect 1 'vae_eval: .*missing.safetensors' "$vae_eval" "$work/missing.safetensors"
echo "PASS: vae_eval"
