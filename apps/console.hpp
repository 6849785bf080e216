// Console output for the apps. A closed terminal, a full disk behind a redirection or a closed
// pipe loses the text, never the run: nothing here throws, and SIGPIPE is ignored so a write to
// a pipe that went away fails instead of killing the process.
#pragma once

#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

namespace vaednn::app {

inline void write_to(std::FILE* stream, std::string_view text) noexcept {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
    std::clearerr(stream);  // a failed write says nothing about the next one
}

template <typename... Args>
void say(fmt::format_string<Args...> format, Args&&... args) noexcept {
    try {
        write_to(stdout, fmt::format(format, std::forward<Args>(args)...));
    } catch (...) {  // formatting ran out of memory: the line is lost, the run goes on
    }
}

template <typename... Args>
void complain(fmt::format_string<Args...> format, Args&&... args) noexcept {
    try {
        write_to(stderr, fmt::format(format, std::forward<Args>(args)...));
    } catch (...) {
    }
}

inline void ignore_broken_pipes() noexcept {
    std::signal(SIGPIPE, SIG_IGN);
}

// `word` as one POSIX shell word: as it is when only safe characters, else single-quoted, so a
// printed command can be pasted back whatever the folder is called.
inline std::string shell_quote(std::string_view word) {
    const bool safe = !word.empty() && word.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789@%+=:,./_-") == std::string_view::npos;
    if (safe) return std::string(word);
    std::string quoted = "'";
    for (const char c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

}  // namespace vaednn::app
