// SIGINT, SIGTERM and SIGHUP (a closed terminal) ask training to stop after the current step and
// write a checkpoint. The first signal starts that; a second one, however soon, is only noted
// (the step in flight and the checkpoint write take a moment, and ending now would lose the
// work since the last checkpoint); a third ends the process at once, for a run that hangs.
#pragma once

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace vaednn::app {

class StopSignal {
  public:
    StopSignal() {
        struct sigaction action {};
        action.sa_handler = &StopSignal::handle;
        sigemptyset(&action.sa_mask);
        for (const int number : kSignals) sigaction(number, &action, nullptr);
    }
    ~StopSignal() {
        for (const int number : kSignals) std::signal(number, SIG_DFL);
    }
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    bool requested() const noexcept { return first_.load() != 0; }
    int signal_number() const noexcept { return first_.load(); }

  private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

    // Only async-signal-safe calls: atomics, write, signal, raise.
    static void handle(int number) {
        const int count = ++count_;
        if (count == 1) {
            first_.store(number);
            return;
        }
        if (count == 2) {
            static constexpr char kNote[] =
                "\nvae_train: stopping after this step once the checkpoint is written; "
                "a third signal ends at once\n";
            [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kNote, sizeof kNote - 1);
            return;
        }
        std::signal(number, SIG_DFL);
        std::raise(number);
    }
    static inline std::atomic<int> first_{0};
    static inline std::atomic<int> count_{0};
    static_assert(std::atomic<int>::is_always_lock_free);
};

}  // namespace vaednn::app
