#!/usr/bin/env bash
# Regenerates the README's pictures (docs/images/) from a finished vae_train run: the last epoch's
# prior samples and reconstructions, the latent map, and the manifold that vae_sample decodes.
#
#   bash scripts/train.sh --epochs 10 --seed 1 && bash scripts/readme_figures.sh out
#
# Writes nothing into the run's folder; vae_sample's pictures go through a temporary folder.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${1:?usage: scripts/readme_figures.sh RUN_FOLDER (a finished vae_train --out folder)}"
images="$repo_root/docs/images"
vae_sample="${VAE_SAMPLE:-$repo_root/build/release/apps/vae_sample}"

last_epoch="$(tail -n 1 "$run/metrics.csv" | cut -d, -f1)"
if ! [[ $last_epoch =~ ^[0-9]+$ ]]; then
  echo "readme_figures: $run/metrics.csv has no epoch row; is $run a finished run's folder?" >&2
  exit 1
fi
epoch="$(printf '%03d' "$last_epoch")"
for picture in "samples_epoch_$epoch.png" "reconstruction_epoch_$epoch.png" latent_map.png; do
  if [[ ! -f $run/$picture ]]; then
    echo "readme_figures: $run/$picture is missing; is the run finished?" >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$vae_sample" --checkpoint "$run/checkpoint.safetensors" --manifold 12 --out "$work" >/dev/null

mkdir -p "$images"
cp "$run/samples_epoch_$epoch.png" "$images/samples.png"
cp "$run/reconstruction_epoch_$epoch.png" "$images/reconstructions.png"
cp "$run/latent_map.png" "$images/latent_map.png"
cp "$work/manifold.png" "$images/manifold.png"
echo "readme_figures: epoch $last_epoch of $run -> $images ($(du -ch "$images"/*.png | tail -n 1 | cut -f1))"
