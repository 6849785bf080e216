// The CPUs a process may use: cgroup quotas read from file trees laid out as the kernel does
// (v2 cpu.max, v1 cpu.cfs_quota_us/cpu.cfs_period_us), and the thread choice made from them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "vaednn/cpu_budget.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

namespace fs = std::filesystem;

using CgroupQuota = testing::TempDirTest;

void write_file(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text << "\n";
}

TEST_F(CgroupQuota, V2QuotaRoundsUp) {
    write_file(dir() / "app" / "cpu.max", "150000 100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "0::/app\n"), 2);
}

TEST_F(CgroupQuota, V2TightestAncestorWins) {
    // A parent's quota bounds its children: the job gets 3 CPUs though its own limit says 8.
    write_file(dir() / "cpu.max", "max 100000");
    write_file(dir() / "jobs" / "cpu.max", "300000 100000");
    write_file(dir() / "jobs" / "job7" / "cpu.max", "800000 100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "0::/jobs/job7\n"), 3);
}

TEST_F(CgroupQuota, V2WithoutQuota) {
    write_file(dir() / "cpu.max", "max 100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "0::/\n"), std::nullopt);
}

TEST_F(CgroupQuota, NamespacedPathMissingFromMountFallsBackToRoot) {
    // In a container the path names the host's cgroup, which its own mount does not show.
    write_file(dir() / "cpu.max", "200000 100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "0::/docker/4f2a\n"), 2);
}

TEST_F(CgroupQuota, V1CpuController) {
    write_file(dir() / "cpu,cpuacct" / "slurm" / "cpu.cfs_quota_us", "400000");
    write_file(dir() / "cpu,cpuacct" / "slurm" / "cpu.cfs_period_us", "100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "4:memory:/slurm\n3:cpu,cpuacct:/slurm\n0::/\n"), 4);
}

TEST_F(CgroupQuota, V1NoQuotaIsMinusOne) {
    write_file(dir() / "cpu" / "cpu.cfs_quota_us", "-1");
    write_file(dir() / "cpu" / "cpu.cfs_period_us", "100000");
    EXPECT_EQ(cgroup_cpu_quota(dir(), "1:cpu:/\n0::/\n"), std::nullopt);
}

TEST_F(CgroupQuota, MalformedFilesCountAsNoQuota) {
    write_file(dir() / "a" / "cpu.max", "lots 100000");
    write_file(dir() / "b" / "cpu.max", "100000 0");
    write_file(dir() / "c" / "cpu.max", "100000100000");
    write_file(dir() / "cpu" / "cpu.cfs_quota_us", "99999999999999999999999");
    write_file(dir() / "cpu" / "cpu.cfs_period_us", "100000");
    for (const char* text : {"0::/a", "0::/b", "0::/c", "1:cpu:/", "garbage", "", "::::"}) {
        EXPECT_EQ(cgroup_cpu_quota(dir(), text), std::nullopt) << text;
    }
}

TEST(CpuBudget, UsableIsTheTightestBoundAndAtLeastOne) {
    EXPECT_EQ((CpuBudget{16, 2, 0}.usable()), 2);
    EXPECT_EQ((CpuBudget{16, 16, 3}.usable()), 3);
    EXPECT_EQ((CpuBudget{0, 0, 0}.usable()), 1);
    EXPECT_EQ((CpuBudget{16, 2, 3}.describe()), "2 (16 online, affinity 2, cgroup quota 3)");
}

// MPI ranks on one host share its CPUs: each gets its part, never less than one.
TEST(CpuBudget, ProcessesOnAHostDivideIt) {
    EXPECT_EQ((CpuBudget{16, 16, 0, 2}.usable()), 8);
    EXPECT_EQ((CpuBudget{2, 2, 0, 2}.usable()), 1);
    EXPECT_EQ((CpuBudget{16, 16, 6, 4}.usable()), 1);  // the quota binds first: 6 / 4
    EXPECT_EQ((CpuBudget{2, 1, 0, 3}.usable()), 1);    // more processes than CPUs
    EXPECT_EQ((CpuBudget{16, 16, 0, 2}.describe()), "8 (16 online, shared by 2 processes)");
}

// A launcher that binds each process to cores of its own, or several to one socket: the share
// counts who holds each CPU, where an even split of the machine left bound cores idle.
TEST(CpuBudget, EachProcessGetsItsShareOfTheCpusItsHostsProcessesHold) {
    const std::vector<int> low = {0, 1, 2, 3}, high = {4, 5, 6, 7}, all = {0, 1, 2, 3, 4, 5, 6, 7};
    const std::vector<std::vector<int>> own_cores = {low, high};
    EXPECT_DOUBLE_EQ(host_cpu_share(low, own_cores), 4.0);
    const std::vector<std::vector<int>> one_socket = {all, all, all, all};
    EXPECT_DOUBLE_EQ(host_cpu_share(all, one_socket), 2.0);
    // Overlapping masks: CPU 1 is held by both.
    const std::vector<int> wide = {0, 1}, narrow = {1};
    const std::vector<std::vector<int>> overlapping = {wide, narrow};
    EXPECT_DOUBLE_EQ(host_cpu_share(wide, overlapping), 1.5);
    EXPECT_DOUBLE_EQ(host_cpu_share(narrow, overlapping), 0.5);
    // A CPU listed twice counts once; one missing from everyone's lists counts as its own.
    const std::vector<int> repeated = {3, 3, 3};
    const std::vector<std::vector<int>> with_repeats = {repeated, {3}};
    EXPECT_DOUBLE_EQ(host_cpu_share(repeated, with_repeats), 0.5);
    // Fractions that do not add up exactly in binary still give whole CPUs: 6 CPUs, 3 processes.
    const std::vector<int> six = {0, 1, 2, 3, 4, 5};
    const std::vector<std::vector<int>> three_on_six = {six, six, six};
    CpuBudget third{6, 6, 0, 3};
    third.affinity_share = host_cpu_share(six, three_on_six);
    EXPECT_EQ(third.usable(), 2);
    const std::vector<int> unlisted = {9};
    const std::vector<std::vector<int>> nobody;
    EXPECT_DOUBLE_EQ(host_cpu_share(unlisted, nobody), 1.0);

    // 2 processes on a 16-CPU host, each bound to 4 cores of its own: 4 threads each, not 16 / 2
    // divided again into 2 (the even split's answer) nor 8 (the machine's half).
    CpuBudget bound{16, 4, 0, 2};
    EXPECT_EQ(bound.usable(), 2);  // without the share, as before: affinity 4 / 2 processes
    bound.affinity_share = host_cpu_share(low, own_cores);
    EXPECT_EQ(bound.usable(), 4);
    EXPECT_EQ(bound.describe(),
              "4 (16 online, affinity 4, this process's share 4.00 of the CPUs its host's 2 "
              "processes hold)");
    // A share below one CPU still runs one thread; the quota is still divided among the processes.
    CpuBudget crowded{2, 1, 0, 2};
    crowded.affinity_share = 0.5;
    EXPECT_EQ(crowded.usable(), 1);
    CpuBudget quota{16, 8, 6, 2};
    quota.affinity_share = 8.0;
    EXPECT_EQ(quota.usable(), 3);
}

TEST(CpuBudget, ThisProcessHasAtLeastOneCpu) {
    const CpuBudget budget = cpu_budget();
    EXPECT_GE(budget.online, 1);
    EXPECT_GE(budget.affinity, 1);
    EXPECT_LE(budget.affinity, budget.online);
    EXPECT_GE(budget.usable(), 1);
    EXPECT_LE(budget.usable(), budget.online);
    EXPECT_EQ(budget.cpus.size(), static_cast<std::size_t>(budget.affinity));
    // One process alone: its share of its own CPUs is all of them.
    const std::vector<std::vector<int>> alone = {budget.cpus};
    EXPECT_DOUBLE_EQ(host_cpu_share(budget.cpus, alone), budget.affinity);
}

TEST(ThreadChoice, CapsAtTheBudgetUnlessToldToOversubscribe) {
    const CpuBudget two{16, 2, 0};
    const ThreadChoice by_default = choose_threads(0, two);
    EXPECT_EQ(by_default.used, 2);
    EXPECT_FALSE(by_default.capped);

    const ThreadChoice capped = choose_threads(16, two);
    EXPECT_EQ(capped.requested, 16);
    EXPECT_EQ(capped.used, 2);
    EXPECT_TRUE(capped.capped);

    const ThreadChoice forced = choose_threads(16, two, true);
    EXPECT_EQ(forced.used, 16);
    EXPECT_FALSE(forced.capped);

    EXPECT_EQ(choose_threads(1, two).used, 1);
    EXPECT_THROW(choose_threads(-1, two), ConfigError);
}

}  // namespace
}  // namespace vaednn
