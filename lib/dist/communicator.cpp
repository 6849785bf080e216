#include "vaednn/communicator.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <utility>

#include "dist/backend.hpp"

namespace vaednn {
namespace {

// This process alone: the sum of one process's values is those values.
class SingleProcess final : public Communicator::Backend {
  public:
    int rank() const noexcept override { return 0; }
    int size() const noexcept override { return 1; }
    int local_size() const noexcept override { return 1; }
    std::string name() const override { return "one process"; }
    void sum(std::span<float>) override {}
    void sum(std::span<double>) override {}
    std::vector<std::vector<int>> gather_on_host(std::span<const int> values) override {
        return {std::vector<int>(values.begin(), values.end())};
    }
    [[noreturn]] void abort(int exit_code) noexcept override { std::_Exit(exit_code); }
};

}  // namespace

Communicator::Communicator() : backend_(std::make_unique<SingleProcess>()) {}
Communicator::Communicator(std::unique_ptr<Backend> backend) : backend_(std::move(backend)) {}
Communicator::~Communicator() = default;
Communicator::Communicator(Communicator&&) noexcept = default;
Communicator& Communicator::operator=(Communicator&&) noexcept = default;

bool Communicator::launched_by_mpi() {
    // Open MPI's mpirun, PMIx launchers (srun --mpi=pmix, prun) and PMI-1/2 ones (MPICH's hydra,
    // srun --mpi=pmi2) each leave one of these. Without them MPI_Init would start a singleton,
    // which in Open MPI 4.1 forks a daemon and takes about 0.6 s: a plain run does not pay that.
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
        if (std::getenv(name) != nullptr) return true;
    }
    return false;
}

bool Communicator::mpi_built_in() noexcept {
#ifdef VAEDNN_WITH_MPI
    return true;
#else
    return false;
#endif
}

Communicator Communicator::from_environment() {
#ifdef VAEDNN_WITH_MPI
    if (launched_by_mpi()) return Communicator(detail::make_mpi_backend());
#endif
    return Communicator();
}

int Communicator::rank() const noexcept {
    return backend_->rank();
}
int Communicator::size() const noexcept {
    return backend_->size();
}
int Communicator::local_size() const noexcept {
    return backend_->local_size();
}

std::string Communicator::describe() const {
    if (size() == 1) return backend_->name();
    return fmt::format("{}, {} processes ({} on this host)", backend_->name(), size(),
                       local_size());
}

void Communicator::sum(std::span<float> values) {
    backend_->sum(values);
}
void Communicator::sum(std::span<double> values) {
    backend_->sum(values);
}

bool Communicator::any(bool value) {
    if (size() == 1) return value;
    std::array<double, 1> votes = {value ? 1.0 : 0.0};
    sum(votes);
    return votes[0] > 0.0;
}

std::vector<std::vector<int>> Communicator::gather_on_host(std::span<const int> values) {
    return backend_->gather_on_host(values);
}

void Communicator::abort(int exit_code) noexcept {
    backend_->abort(exit_code);
    std::_Exit(exit_code);  // a virtual call's [[noreturn]] is not the compiler's to trust
}

}  // namespace vaednn
