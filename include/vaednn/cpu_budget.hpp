// How many CPUs this process may really use, and how many compute threads to run on them.
// Spinning OpenMP threads on fewer cores than threads run 20-40x slower, so a thread count
// above what the process may use is capped unless the caller insists.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vaednn/export.hpp"

namespace vaednn {

// What bounds this process's CPUs, each part as found (0: no such bound).
struct VAEDNN_EXPORT CpuBudget {
    int online = 0;  // CPUs the machine has online
    // CPUs in this process's affinity mask (taskset, cpuset); under OMP_PROC_BIND, those of the
    // OpenMP places (the runtime narrows the starting thread's own mask to its first place).
    int affinity = 0;
    // ceil(quota / period) of the tightest CPU quota on this process's cgroup path (cgroup v2
    // cpu.max or v1 cpu.cfs_quota_us); 0 when none is set.
    int quota = 0;
    // Processes of one job on this host (MPI ranks, Communicator::local_size()): without
    // `affinity_share`, each gets an equal part of every bound.
    int processes = 1;
    // This process's share of its affinity CPUs among the job's processes on this host
    // (host_cpu_share of every process's `cpus`): each CPU counts 1 / the number of processes
    // whose affinity holds it. 0: not known. It replaces the online and affinity bounds divided by
    // `processes`, which is right only for processes that share one mask: a launcher that binds
    // each process to cores of its own (mpirun --map-by ...:PE=4) leaves each its whole mask, and
    // processes bound to one socket share that socket. The quota is still divided.
    double affinity_share = 0.0;
    // The CPUs `affinity` counts, as the kernel numbers them.
    std::vector<int> cpus = {};
    // The least of the bounds that are set (each shared as above), at least 1.
    int usable() const noexcept;
    // "2 (affinity 2, cgroup quota 3)" style: which bound decides, for messages and reports.
    std::string describe() const;
};

// Reads the bounds of the calling process: online CPUs, sched_getaffinity, and the cgroup quotas
// along /proc/self/cgroup's path under /sys/fs/cgroup.
VAEDNN_EXPORT CpuBudget cpu_budget();

// How many of the CPUs `mine` are this process's, given the CPUs of every process of the job on
// this host (`everyone`, this process's own list among them): the sum over `mine` of 1 / the
// number of lists that hold each CPU. Disjoint masks keep their size; n processes on one mask get
// a size / n each. A CPU listed twice in one list counts once.
VAEDNN_EXPORT double host_cpu_share(std::span<const int> mine,
                                    std::span<const std::vector<int>> everyone);

// The cgroup CPU quota of the process whose /proc/self/cgroup text is `proc_self_cgroup`, with
// the cgroup file systems mounted under `cgroup_root` (normally /sys/fs/cgroup): the tightest
// ceil(quota / period) over the cgroup and its ancestors, in the v2 hierarchy (cpu.max) and the
// v1 cpu controller (cpu.cfs_quota_us, cpu.cfs_period_us). nullopt when no quota is set or the
// files are not there. Unreadable or malformed files count as no quota, never as an error.
VAEDNN_EXPORT std::optional<int> cgroup_cpu_quota(const std::filesystem::path& cgroup_root,
                                                  std::string_view proc_self_cgroup);

// The compute threads a run uses for a request.
struct ThreadChoice {
    int requested = 0;    // what was asked (0: nothing, the default)
    int used = 0;         // what the run uses
    bool capped = false;  // requested > used because the CPUs are fewer
};

// `requested` 0 means "as many as the process may use". A request above budget.usable() is
// capped there unless `oversubscribe`. Throws ConfigError for a negative request.
VAEDNN_EXPORT ThreadChoice choose_threads(int requested, const CpuBudget& budget,
                                          bool oversubscribe = false);

}  // namespace vaednn
