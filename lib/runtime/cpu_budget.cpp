#include "vaednn/cpu_budget.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "vaednn/error.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;

// The first line of a small kernel file; empty when it cannot be read.
std::string first_line(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

std::optional<long long> parse_integer(std::string_view text) {
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// ceil(quota / period), or nullopt for "no quota" (negative quota, v1's -1) and nonsense.
std::optional<int> cpus_of(std::optional<long long> quota, std::optional<long long> period) {
    if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
    const long long cpus = (*quota + *period - 1) / *period;
    return static_cast<int>(std::min<long long>(cpus, 1 << 20));
}

// cgroup v2's cpu.max: "max 100000" (no quota) or "QUOTA PERIOD".
std::optional<int> v2_quota(const fs::path& dir) {
    const std::string line = first_line(dir / "cpu.max");
    const auto space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    return cpus_of(parse_integer(std::string_view(line).substr(0, space)),
                   parse_integer(std::string_view(line).substr(space + 1)));
}

// cgroup v1's cpu controller: cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us.
std::optional<int> v1_quota(const fs::path& dir) {
    return cpus_of(parse_integer(first_line(dir / "cpu.cfs_quota_us")),
                   parse_integer(first_line(dir / "cpu.cfs_period_us")));
}

// The tightest quota on `path` and its ancestors below `mount`. A cgroup namespace shows the
// process at "/" with its own limits at the mount's root; without one the path's directories
// may be missing from the mount, and their files simply are not found.
template <typename Reader>
std::optional<int> tightest_on_path(const fs::path& mount, std::string_view path, Reader read) {
    std::optional<int> tightest;
    fs::path relative = fs::path(path).relative_path();
    while (true) {
        if (const auto cpus = read(mount / relative)) {
            tightest = tightest ? std::min(*tightest, *cpus) : *cpus;
        }
        if (relative.empty()) break;
        relative = relative.parent_path();
    }
    return tightest;
}

bool lists_controller(std::string_view controllers, std::string_view wanted) {
    while (!controllers.empty()) {
        const auto comma = controllers.find(',');
        if (controllers.substr(0, comma) == wanted) return true;
        if (comma == std::string_view::npos) break;
        controllers.remove_prefix(comma + 1);
    }
    return false;
}

int online_cpus() {
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? static_cast<int>(std::min<long>(online, 1 << 20)) : 0;
}

// The CPUs of this process's affinity mask; empty when it cannot be read.
std::vector<int> affinity_cpus(int online) {
    // A mask as large as the machine, not the fixed 1024-CPU cpu_set_t.
    const auto size = static_cast<std::size_t>(std::max(online, CPU_SETSIZE));
    const auto free_mask = [](cpu_set_t* set) { CPU_FREE(set); };
    const std::unique_ptr<cpu_set_t, decltype(free_mask)> mask(CPU_ALLOC(size), free_mask);
    if (!mask) return {};
    const std::size_t bytes = CPU_ALLOC_SIZE(size);
    CPU_ZERO_S(bytes, mask.get());
    if (sched_getaffinity(0, bytes, mask.get()) != 0) return {};
    std::vector<int> cpus;
    // Every bit of the allocation: CPU_ALLOC_SIZE rounds up, and the kernel fills all of it.
    for (std::size_t cpu = 0; cpu < bytes * CHAR_BIT; ++cpu) {
        if (CPU_ISSET_S(cpu, bytes, mask.get())) cpus.push_back(static_cast<int>(cpu));
    }
    return cpus;
}

// With OMP_PROC_BIND set, the OpenMP runtime binds the initial thread to its first place as the
// program starts: sched_getaffinity then counts that place alone (1 CPU for places of single
// cores), and OMP_PROC_BIND=true would cap every run at one thread. The places were built from the
// mask the process started with, and they are where the runtime puts its threads: their CPUs are
// the bound. Empty when threads are not bound, or all bound to the primary thread's place
// (OMP_PROC_BIND=primary), whose CPUs are the narrowed mask itself.
std::vector<int> openmp_place_cpus() {
    const omp_proc_bind_t bind = omp_get_proc_bind();
    if (bind == omp_proc_bind_false || bind == omp_proc_bind_primary) return {};
    std::set<int> cpus;
    for (int place = 0; place < omp_get_num_places(); ++place) {
        std::vector<int> ids(static_cast<std::size_t>(std::max(omp_get_place_num_procs(place), 0)));
        if (!ids.empty()) omp_get_place_proc_ids(place, ids.data());
        cpus.insert(ids.begin(), ids.end());
    }
    return {cpus.begin(), cpus.end()};
}

}  // namespace

int CpuBudget::usable() const noexcept {
    const double sharing = std::max(processes, 1);
    std::optional<double> bound;
    const auto take = [&](double n) { bound = bound ? std::min(*bound, n) : n; };
    if (affinity_share > 0.0) {
        take(affinity_share);  // counted CPU by CPU: neither the machine's size nor an even split
    } else {
        if (online > 0) take(online / sharing);
        if (affinity > 0) take(affinity / sharing);
    }
    if (quota > 0) take(quota / sharing);
    // A share of CPUs held by different numbers of processes is a sum of fractions, which binary
    // floating point may leave a hair below a whole number.
    constexpr double kRounding = 1e-6;
    return bound ? std::max(static_cast<int>(*bound + kRounding), 1) : 1;
}

std::string CpuBudget::describe() const {
    std::string parts = fmt::format("{} online", online);
    if (affinity > 0 && affinity != online) parts += fmt::format(", affinity {}", affinity);
    if (quota > 0) parts += fmt::format(", cgroup quota {}", quota);
    if (affinity_share > 0.0) {
        parts +=
            fmt::format(", this process's share {:.2f} of the CPUs its host's {} processes hold",
                        affinity_share, processes);
    } else if (processes > 1) {
        parts += fmt::format(", shared by {} processes", processes);
    }
    return fmt::format("{} ({})", usable(), parts);
}

double host_cpu_share(std::span<const int> mine, std::span<const std::vector<int>> everyone) {
    std::map<int, int> holders;
    for (const std::vector<int>& cpus : everyone) {
        for (const int cpu : std::set<int>(cpus.begin(), cpus.end())) ++holders[cpu];
    }
    // CPUs counted by how many processes hold them, then each count divided once: 6 CPUs held by
    // 3 processes give exactly 2, where adding 1/3 six times gives 1.9999999999999998.
    std::map<int, int> cpus_by_holders;
    for (const int cpu : std::set<int>(mine.begin(), mine.end())) {
        ++cpus_by_holders[std::max(holders[cpu], 1)];
    }
    double share = 0.0;
    for (const auto& [holding, cpus] : cpus_by_holders)
        share += static_cast<double>(cpus) / holding;
    return share;
}

std::optional<int> cgroup_cpu_quota(const fs::path& cgroup_root,
                                    std::string_view proc_self_cgroup) {
    std::optional<int> tightest;
    const auto take = [&](std::optional<int> cpus) {
        if (cpus) tightest = tightest ? std::min(*tightest, *cpus) : *cpus;
    };
    std::istringstream lines{std::string(proc_self_cgroup)};
    std::string line;
    while (std::getline(lines, line)) {
        // hierarchy-id:controller-list:path
        const auto first = line.find(':');
        const auto second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second == std::string::npos) continue;
        const std::string_view view(line);
        const std::string_view id = view.substr(0, first);
        const std::string_view controllers = view.substr(first + 1, second - first - 1);
        const std::string_view path = view.substr(second + 1);
        if (id == "0" && controllers.empty()) {
            // v2: the unified hierarchy at the root (pure v2) or under unified/ (hybrid).
            for (const fs::path& mount : {cgroup_root, cgroup_root / "unified"}) {
                take(tightest_on_path(mount, path, v2_quota));
            }
        } else if (lists_controller(controllers, "cpu")) {
            // v1: mounted as cpu/ or under the list's own name (cpu,cpuacct/).
            for (const fs::path& mount :
                 {cgroup_root / "cpu", cgroup_root / std::string(controllers)}) {
                take(tightest_on_path(mount, path, v1_quota));
            }
        }
    }
    return tightest;
}

CpuBudget cpu_budget() {
    CpuBudget budget;
    budget.online = online_cpus();
    budget.cpus = openmp_place_cpus();
    if (budget.cpus.empty()) budget.cpus = affinity_cpus(budget.online);
    budget.affinity = static_cast<int>(budget.cpus.size());
    std::ifstream in("/proc/self/cgroup");
    std::string text, line;
    while (std::getline(in, line)) text += line + '\n';
    budget.quota = cgroup_cpu_quota("/sys/fs/cgroup", text).value_or(0);
    return budget;
}

ThreadChoice choose_threads(int requested, const CpuBudget& budget, bool oversubscribe) {
    if (requested < 0) {
        throw ConfigError(fmt::format("thread count must be at least 1, got {}", requested));
    }
    ThreadChoice choice;
    choice.requested = requested;
    const int usable = budget.usable();
    if (requested == 0) {
        choice.used = usable;
    } else if (requested > usable && !oversubscribe) {
        choice.used = usable;
        choice.capped = true;
    } else {
        choice.used = requested;
    }
    return choice;
}

}  // namespace vaednn
