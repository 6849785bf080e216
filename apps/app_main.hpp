// The one place where the apps turn exceptions into messages and exit codes:
// 0 success, 1 a failure (bad data, I/O, numerical trouble), 2 a usage error (flags).
#pragma once

#include <CLI/CLI.hpp>
#include <exception>
#include <new>
#include <string_view>

#include "console.hpp"
#include "flags.hpp"
#include "vaednn/error.hpp"

namespace vaednn::app {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints the exception `error` as one line on stderr, "NAME: message", and returns its exit code.
inline int report_exception(std::string_view name, std::exception_ptr error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const vaednn::ConfigError& e) {
        complain("{}: {}\n", name, e.what());
        return kExitUsage;
    } catch (const std::bad_alloc&) {
        complain("{}: out of memory\n", name);
        return kExitFailure;
    } catch (const std::exception& e) {
        complain("{}: {}\n", name, e.what());
        return kExitFailure;
    } catch (...) {
        complain("{}: an unknown error\n", name);
        return kExitFailure;
    }
}

// Parses flags with CLI11, then runs `body`. CLI11's own parse-error codes (100 and up) become 2.
// Every error is one line on stderr; a stderr that cannot be written never changes the code.
template <typename Body>
int run_main(std::string_view name, CLI::App& cli, int argc, char** argv, Body&& body) {
    ignore_broken_pipes();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return cli.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return cli.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return cli.exit(e);
    } catch (const CLI::ParseError& e) {
        if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
            if (const auto hint = suggest_flag(cli, argc, argv)) {
                complain("{}: {} (see --help)\n", name, *hint);
                return kExitUsage;
            }
        }
        complain("{}: {} (see --help)\n", name, e.what());
        return kExitUsage;
    }
    try {
        return body();
    } catch (...) {
        return report_exception(name, std::current_exception());
    }
}

}  // namespace vaednn::app
