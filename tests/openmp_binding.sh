#!/usr/bin/env bash
# OMP_PROC_BIND: the OpenMP runtime binds its threads to its places, and narrows the starting
# thread's own CPU mask to the first place before main runs. The CPUs a run may use are still
# every place's: --threads $(nproc) runs that many threads, uncapped, where the mask alone would
# have capped it at one; places of one CPU, and binding every thread to the first place
# (primary), do cap it.
# Usage: openmp_binding.sh VAE_TRAIN WORK_DIR MNIST_DIR
source "$(dirname "${BASH_SOURCE[0]}")/script_test.sh"  # and set -uo pipefail
vae_train="$1" work="$2" mnist="$3"
begin_script_test "$work"
make_mini_mnist "$mnist" "$work/data" 128 20
cpus=$(nproc)
run=("$vae_train" --data "$work/data" --epochs 1 --hidden 16 --quiet)

for bind in true spread; do
  expect 0 "runtime .*, $cpus threads?," env OMP_PROC_BIND=$bind "${run[@]}" --threads "$cpus" \
    --out "$work/bind-$bind"
  grep -q 'more than the CPUs' <<<"$out" && fail "capped under OMP_PROC_BIND=$bind"
done

if ((cpus > 1)); then
  # primary: every thread on the starting thread's place, one CPU here; two threads would share it.
  expect 0 "more than the CPUs this process may use, 1 \(.*\): running 1 " \
    env OMP_PROC_BIND=primary OMP_PLACES=threads "${run[@]}" --threads 2 --out "$work/primary"
  first_cpu=$(grep Cpus_allowed_list /proc/self/status | cut -f2 | cut -d, -f1 | cut -d- -f1)
  expect 0 "more than the CPUs this process may use, 1 \(.*\): running 1 " \
    env OMP_PROC_BIND=true "OMP_PLACES={$first_cpu}" "${run[@]}" --threads 2 --out "$work/one-place"
fi
echo "PASS: threads under OMP_PROC_BIND count every OpenMP place"
