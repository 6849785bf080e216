// How many CPUs this process may really use, and how many compute threads to run on them.
// Spinning OpenMP threads on fewer cores than threads run 20-40x slower, so a thread count
// above what the process may use is capped unless the caller insists.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

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
    // Processes of one job that share these CPUs (MPI ranks on this host, Communicator::
    // local_size()); each gets an equal part. A launcher that binds every rank to its own cores
    // already narrowed `affinity`: dividing that again can leave cores idle, never oversubscribe
    // them, which costs far less (pass --threads with --oversubscribe to insist).
    int processes = 1;
    // The least of the bounds that are set, divided among `processes`, at least 1.
    int usable() const noexcept;
    // "2 (affinity 2, cgroup quota 3)" style: which bound decides, for messages and reports.
    std::string describe() const;
};

// Reads the bounds of the calling process: online CPUs, sched_getaffinity, and the cgroup quotas
// along /proc/self/cgroup's path under /sys/fs/cgroup.
VAEDNN_EXPORT CpuBudget cpu_budget();

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
