// MPI's world, through the C API (the C++ bindings are gone from MPI 3). Only the training thread
// calls MPI (MPI_THREAD_FUNNELED): oneTBB's loader threads never do.
#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <vector>

#include "dist/backend.hpp"
#include "vaednn/error.hpp"

namespace vaednn::detail {
namespace {

class MpiWorld final : public Communicator::Backend {
  public:
    MpiWorld() {
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            throw Error(
                "MPI failed to start (MPI_Init_thread) although an MPI launcher started "
                "this process");
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
        // The processes that share this host's memory share its CPUs too.
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host_);
        MPI_Comm_size(host_, &local_size_);
    }
    ~MpiWorld() override {
        MPI_Comm_free(&host_);
        MPI_Finalize();
    }
    MpiWorld(const MpiWorld&) = delete;
    MpiWorld& operator=(const MpiWorld&) = delete;

    int rank() const noexcept override { return rank_; }
    int size() const noexcept override { return size_; }
    int local_size() const noexcept override { return local_size_; }
    std::string name() const override { return "MPI"; }

    void sum(std::span<float> values) override {
        sum_in_place(values.data(), values.size(), MPI_FLOAT);
    }
    void sum(std::span<double> values) override {
        sum_in_place(values.data(), values.size(), MPI_DOUBLE);
    }

    std::vector<std::vector<int>> gather_on_host(std::span<const int> values) override {
        // MPI counts in int. A list too long for the host's sum to fit says so with -1, so that
        // every process sees it and throws: one leaving the collective alone would hang the rest.
        const auto longest = static_cast<std::size_t>(INT_MAX / std::max(local_size_, 1));
        const int count = values.size() <= longest ? static_cast<int>(values.size()) : -1;
        std::vector<int> counts(static_cast<std::size_t>(local_size_));
        MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, host_);
        std::vector<int> offsets(counts.size());
        int total = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            if (counts[i] < 0) {
                throw Error(
                    fmt::format("gather_on_host: more than {} values on one process", longest));
            }
            offsets[i] = total;
            total += counts[i];
        }
        std::vector<int> all(static_cast<std::size_t>(total));
        MPI_Allgatherv(values.data(), count, MPI_INT, all.data(), counts.data(), offsets.data(),
                       MPI_INT, host_);
        std::vector<std::vector<int>> lists;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            const auto begin = all.begin() + offsets[i];
            lists.emplace_back(begin, begin + counts[i]);
        }
        return lists;
    }

    [[noreturn]] void abort(int exit_code) noexcept override {
        MPI_Abort(MPI_COMM_WORLD, exit_code);
        std::_Exit(exit_code);  // MPI_Abort does not return; this is for the compiler
    }

  private:
    // MPI counts in int: a buffer longer than INT_MAX elements goes in pieces. The world's error
    // handler is MPI_ERRORS_ARE_FATAL, so a peer that died ends this process too.
    template <typename T>
    static void sum_in_place(T* data, std::size_t count, MPI_Datatype type) {
        while (count > 0) {
            const std::size_t piece = std::min<std::size_t>(count, INT_MAX);
            MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(piece), type, MPI_SUM,
                          MPI_COMM_WORLD);
            data += piece;
            count -= piece;
        }
    }

    int rank_ = 0, size_ = 1, local_size_ = 1;
    // Kept for gather_on_host after the start; freed before MPI_Finalize.
    MPI_Comm host_ = MPI_COMM_NULL;
};

}  // namespace

std::unique_ptr<Communicator::Backend> make_mpi_backend() {
    return std::make_unique<MpiWorld>();
}

}  // namespace vaednn::detail
