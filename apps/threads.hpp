// How many compute threads an app runs: every CPU the process may use by default, and a larger
// --threads capped there with one line, since spinning OpenMP threads on fewer cores than threads
// run many times slower. --oversubscribe keeps the request.
#pragma once

#include <string_view>

#include "console.hpp"
#include "vaednn/communicator.hpp"
#include "vaednn/cpu_budget.hpp"
#include "vaednn/runtime.hpp"

namespace vaednn::app {

// `requested` 0: the default; an empty `program` says nothing (an MPI rank but the first).
// `world`: the processes of the run (MPI ranks), of which those on this host share its CPUs: each
// is capped at its share of the CPUs their masks hold (a collective: every process calls this).
// Sets the compute pools and returns the choice in force.
inline ThreadChoice use_threads(std::string_view program, int requested, bool oversubscribe,
                                Communicator* world = nullptr) {
    CpuBudget budget = cpu_budget();
    // local_size() is the size of the host's communicator, the same on each of its processes:
    // all of them enter the exchange or none does.
    if (world != nullptr && world->local_size() > 1) {
        budget.processes = world->local_size();
        budget.affinity_share = host_cpu_share(budget.cpus, world->gather_on_host(budget.cpus));
    }
    ThreadChoice choice = choose_threads(requested, budget, oversubscribe);
    if (choice.capped && !program.empty()) {
        complain(
            "{}: --threads {} is more than the CPUs this process may use, {}: running {} "
            "(--oversubscribe insists, at many times the time per step)\n",
            program, requested, budget.describe(), choice.used);
    }
    choice.used = set_compute_threads(choice.used);
    return choice;
}

}  // namespace vaednn::app
