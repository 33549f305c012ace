#pragma once
// Shared pieces of the command line: exit codes, error printing, flag parsing helpers.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reports/junit.hpp"
#include "sim/diagnostics.hpp"
#include "sim/scenario.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::cli {

enum exit_code : int { kClean = 0, kViolation = 1, kBadInput = 2, kToolError = 3, kInterrupted = 130 };

/// Loads the scenario named on the command line; a directory or a schedule file given instead gets an
/// error that says so and what to run (not a JSON parse error or a list of unrelated ones).
std::unique_ptr<sim::scenario> load_scenario_arg(const std::string& file, const sim::catalogue& cat);

/// Prints every diagnostic on stderr, one per line, prefixed "fsrace: error: ".
void print_input_error(const sim::input_error&);
/// Throws input_error (path = the flag) for a malformed value.
uint64_t parse_seed(const std::string& text, const std::string& flag);
/// A decimal integer in [min, max]; input_error naming the flag otherwise.
uint64_t parse_uint(const std::string& text, const std::string& flag, uint64_t min, uint64_t max);
/// --fixes on|off plus --fix ID=on|off...; `fixes` empty = `fallback`.
sim::fix_setting parse_fix_flags(const std::string& fixes, const std::vector<std::string>& fix, const sim::fix_setting& fallback);

/// Options shared by explore and replay that override a scenario's exploration defaults. Numbers are
/// typed CLI11 options with ranges (main.cpp); unset = the scenario's.
struct explore_flags {
  std::string strategy, seed;
  std::optional<uint64_t> runs, max_steps;
  std::optional<uint32_t> depth, preemptions;
  std::string fixes;
  std::vector<std::string> fix;
};
/// The scenario's settings for `setting` (the matching expectation's, else the scenario's), then flags.
sim::explore_settings settings_for(const sim::scenario&, const sim::fix_setting&, const explore_flags&);

/// True when progress may be drawn on stderr (a terminal, and not --quiet).
bool progress_enabled();
void set_quiet(bool);
bool quiet();
/// Now (UTC) and this machine's name, for JUnit reports.
reports::junit_context junit_context();

}  // namespace fsrace::cli
