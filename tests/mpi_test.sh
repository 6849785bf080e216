# Sourced by the MPI tests (tests/mpi_*.sh) after script_test.sh:
#   use_mpiexec MPIEXEC      the launcher CMake found; "none" when the build has no MPI support
#                            (VAEDNN_WITH_MPI=OFF): the test then prints SKIP and ends, since a
#                            build without MPI cannot train across processes
#   mpi_run NP CMD...        runs CMD as NP processes of one MPI job on this host
# The launcher's flags make it work as root (CI runs as root), on fewer cores than processes
# (--oversubscribe, no binding: the tests share two cores with other work) and in containers
# (shared memory only, without the cross-memory attach that their seccomp rules refuse).
use_mpiexec() {
  if [[ $1 == none ]]; then
    echo "SKIP: this build has no MPI support (VAEDNN_WITH_MPI=OFF)"
    exit 0
  fi
  mpiexec="$1"
  [[ -x $mpiexec ]] || command -v "$mpiexec" >/dev/null || fail "no MPI launcher at '$mpiexec'"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # hwloc's and the ptrace-less container's warnings say nothing about the run under test.
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  export OMPI_MCA_hwloc_base_binding_policy=none OMPI_MCA_rmaps_base_oversubscribe=1
  export HWLOC_HIDE_ERRORS=1
}

mpi_run() {
  local np="$1"
  shift
  "$mpiexec" -np "$np" "$@"
}
