#!/usr/bin/env bash
# Sets everything up, builds, and runs the whole test suite. Usage: scripts/test.sh [preset]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
# --twin: the tests check a vae_train checkpoint inside the PyTorch twin.
"$repo_root/scripts/setup.sh" --twin
"$repo_root/scripts/build.sh" "$preset"
cd "$repo_root"
ctest --preset "$preset"
