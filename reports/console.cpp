#include "reports/console.hpp"

#include <fmt/format.h>

namespace fsrace::reports {

std::string console_line(const case_result& c) {
  const char* tag = c.undecided()                              ? "STOP "  // Ctrl-C before the verdict
                    : c.result == case_result::status::pass   ? "PASS "
                    : c.result == case_result::status::fail   ? "FAIL "
                                                              : "ERROR";
  std::string found;
  if (!c.violations.empty()) {
    const auto& v = c.violations.front();
    found = fmt::format("found {} at execution {} (seed {})", v.kind, v.execution, v.seed);
  } else {
    found = fmt::format("clean in {} execution{}{}", c.executions, c.executions == 1 ? "" : "s",
                        !c.coverage.empty() ? " (" + c.coverage + ")" : c.exhausted ? " (space exhausted)" : "");
  }
  return fmt::format("{} {}  fixes={}  expected {}  {}  [{}, {:.2f}s]", tag, c.scenario, c.fixes,
                     c.expected.empty() ? "nothing" : c.expected, found, c.strategy, c.seconds);
}

std::string console_summary(const suite_result& s) {
  std::string out;
  for (const auto& c : s.cases) {
    out += console_line(c) + '\n';
    if (c.result == case_result::status::pass) continue;
    if (!c.reason.empty()) out += "      " + c.reason + '\n';
    for (const auto& v : c.violations) {
      out += fmt::format("      {}: {}\n", v.kind, v.message);
      if (!v.replay_command.empty()) out += "      replay: " + v.replay_command + '\n';
    }
  }
  size_t stopped = 0;
  for (const auto& c : s.cases) stopped += c.undecided();
  out += fmt::format("{} case{}: {} passed, {} failed{}, {} tool error{}\n", s.cases.size(), s.cases.size() == 1 ? "" : "s",
                     s.passed(), s.failed(), stopped ? fmt::format(" ({} stopped by Ctrl-C before a verdict)", stopped) : "",
                     s.errors(), s.errors() == 1 ? "" : "s");
  return out;
}

}  // namespace fsrace::reports
