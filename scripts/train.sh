#!/usr/bin/env bash
# Sets everything up, builds, and trains on the default MNIST. Extra arguments go to vae_train.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo_root/scripts/setup.sh"
"$repo_root/scripts/build.sh" release
cd "$repo_root"
exec ./build/release/apps/vae_train "$@"
