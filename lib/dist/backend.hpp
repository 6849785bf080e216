// What a Communicator does underneath: this process alone, or MPI (mpi_backend.cpp, built only
// with VAEDNN_WITH_MPI). No MPI header here either, so the rest of the library never sees one.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vaednn/communicator.hpp"

namespace vaednn {

class Communicator::Backend {
  public:
    virtual ~Backend() = default;
    virtual int rank() const noexcept = 0;
    virtual int size() const noexcept = 0;
    virtual int local_size() const noexcept = 0;
    virtual std::string name() const = 0;
    virtual void sum(std::span<float> values) = 0;
    virtual void sum(std::span<double> values) = 0;
    virtual std::vector<std::vector<int>> gather_on_host(std::span<const int> values) = 0;
    [[noreturn]] virtual void abort(int exit_code) noexcept = 0;
};

namespace detail {

// Initialises MPI (once per process) and returns its world. Throws Error when MPI fails to start.
std::unique_ptr<Communicator::Backend> make_mpi_backend();

}  // namespace detail
}  // namespace vaednn
