// SIGINT and SIGTERM ask training to stop after the current step; a second signal ends the
// process at once, as users expect of a second Ctrl-C.
#pragma once

#include <atomic>
#include <csignal>

namespace vaednn::app {

class StopSignal {
  public:
    StopSignal() {
        struct sigaction action {};
        action.sa_handler = &StopSignal::handle;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, nullptr);
        sigaction(SIGTERM, &action, nullptr);
    }
    ~StopSignal() {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    bool requested() const noexcept { return received_.load() != 0; }
    int signal_number() const noexcept { return received_.load(); }

  private:
    static void handle(int number) {
        received_.store(number);
        // From now on either signal ends the process (signal() is async-signal-safe).
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
    static inline std::atomic<int> received_{0};
    static_assert(std::atomic<int>::is_always_lock_free);
};

}  // namespace vaednn::app
