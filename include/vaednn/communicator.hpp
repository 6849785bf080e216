// The processes of a data-parallel run, and the few collective operations training needs. One
// process by default; with MPI built in and the program started by a launcher (mpirun, srun), every
// process it started. Without a launcher nothing of MPI is initialised, so a plain run needs no MPI
// at run time. No MPI header is included here: the library keeps MPI to itself.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

class VAEDNN_EXPORT Communicator {
  public:
    // This process alone: rank 0 of 1; every collective returns at once.
    Communicator();
    // MPI's world when this process was started by an MPI launcher and MPI is built in (MPI is
    // initialised here, once per process, and finalised by the destructor); this process alone
    // otherwise. Throws Error when the launcher started the process but MPI fails to start.
    static Communicator from_environment();
    // True when the environment shows an MPI launcher (Open MPI's, PMI's or PMIx's variables).
    static bool launched_by_mpi();
    // Whether this build has MPI support at all (the CMake option VAEDNN_WITH_MPI).
    static bool mpi_built_in() noexcept;

    ~Communicator();
    Communicator(Communicator&&) noexcept;
    Communicator& operator=(Communicator&&) noexcept;
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;

    int rank() const noexcept;
    int size() const noexcept;
    bool is_root() const noexcept { return rank() == 0; }
    // How many of the processes run on this host (they share its CPUs).
    int local_size() const noexcept;
    // "MPI, 2 processes (2 on this host)" or "one process", for start tables and reports.
    std::string describe() const;

    // Element-wise sums across all processes, in place; every process gets the same result. A
    // collective: every process must call it, in the same order, with the same count. The library
    // allocates nothing for them (MPI itself may use temporary buffers: Open MPI's ring allreduce
    // does), so a training step may call them.
    void sum(std::span<float> values);
    void sum(std::span<double> values);

    // True on every process when `value` is true on any of them (a collective, like sum).
    bool any(bool value);

    // The `values` of every process on this host, in their order on the host (this process's
    // among them): a collective of those processes, each calling it once with its own list. For
    // a run's start (it allocates), e.g. the CPUs each process may use (host_cpu_share).
    std::vector<std::vector<int>> gather_on_host(std::span<const int> values);

    // Ends every process of the run at once with `exit_code` (MPI_Abort); for a fault that only
    // this process saw, after it printed its message. One process: std::_Exit.
    [[noreturn]] void abort(int exit_code) noexcept;

    // What a communicator does underneath; lib/dist/ implements it.
    class Backend;

  private:
    explicit Communicator(std::unique_ptr<Backend> backend);
    std::unique_ptr<Backend> backend_;
};

}  // namespace vaednn
