// fsrace soak: runs the soak workloads (scenarios whose every expectation is "clean") for as many
// executions, or as long, as asked, round-robin in rounds, and prints executions per workload and any
// finding with the command that replays it. Executions are numbered per workload and expectation, so
// execution i always runs seed execution_seed(base seed, i): a finding replays whatever the budget was.
// --time-budget is wall-clock time (soak runs for as long as asked, however loaded the machine); each
// workload's wall and CPU seconds (all its worker threads) are printed, and its rate per CPU second.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/search/search.hpp"
#include "sim/cli/commands.hpp"
#include "sim/interrupt.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {
namespace {

struct soak_case {
  const sim::scenario* sc = nullptr;
  const sim::prepared_scenario* prepared = nullptr;
  const sim::expectation* ex = nullptr;
  uint64_t budget = 0;     // executions to run (--executions); unbounded with --time-budget
  uint64_t done = 0;       // executions run: the next index
  double seconds = 0;      // wall time spent in this case
  double cpu_seconds = 0;  // process CPU time spent in this case (every worker thread; cases run one at a time)
  std::optional<sim::violation_record> finding;  // the first violation or tool error: the case stops
  bool tool_error = false;
};

std::vector<std::unique_ptr<sim::scenario>> load_workloads(const std::vector<std::string>& files, const sim::binding& b) {
  std::vector<std::unique_ptr<sim::scenario>> out;
  std::vector<sim::diagnostic> problems;
  std::map<std::string, std::string> names;
  for (const auto& f : files) {
    try {
      auto sc = load_scenario_arg(f, *b.cat);
      if (auto [it, fresh] = names.emplace(sc->name, f); !fresh)
        problems.push_back({f, "/name", fmt::format("scenario name \"{}\" is also used by {}", sc->name, it->second)});
      for (const auto& ex : sc->expectations) {
        if (ex.violation)
          problems.push_back({f, ex.path, "a soak workload expects \"clean\" only (a violation here is a model bug or kernel news)"});
        else if (sim::search_of(ex.explore.strategy).divides != sim::division::seeds)
          problems.push_back({f, ex.path + "/explore/strategy",
                              fmt::format("a soak workload explores with random or pct ({} has no seeds to add)",
                                          sim::to_string(ex.explore.strategy))});
      }
      out.push_back(std::move(sc));
    } catch (const sim::input_error& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (!problems.empty()) throw sim::input_error(std::move(problems));
  return out;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Runs executions [c.done, c.done + n) of the case; records its first finding.
void run_round(soak_case& c, uint64_t n, unsigned jobs) {
  sim::explore_request req;
  req.settings = c.ex->explore;
  req.fixes = c.ex->fixes;
  req.jobs = jobs;
  req.first = c.done;
  req.end = c.done + n;
  req.settings.runs = req.end;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  const sim::exploration e = sim::explore(*c.prepared, req);
  c.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.cpu_seconds += process_cpu_seconds() - cpu_start;
  c.done += e.executions;
  if (e.tool_error) {
    c.finding = *e.tool_error;
    c.tool_error = true;
  } else if (!e.violations.empty()) {
    c.finding = e.violations.front();
  }
}

std::string case_name(const soak_case& c) {
  return fmt::format("{} [{}]", c.sc->name, sim::to_string(c.ex->explore.strategy));
}

}  // namespace

int cmd_soak(const soak_args& a) {
  const sim::binding& b = sim::default_binding();
  if ((a.executions == 0) == (a.time_budget <= 0))
    throw sim::input_error("--executions", "", "give exactly one of --executions N and --time-budget SECONDS");
  const std::vector<std::string> files =
      sim::find_scenarios(a.paths.empty() ? std::vector<std::string>{std::string(FSRACE_SCENARIO_DIR) + "/soak"} : a.paths);
  if (files.empty()) throw sim::input_error("", "", "no scenario files (*.json) found under the paths given");
  const auto scenarios = load_workloads(files, b);

  std::vector<std::unique_ptr<sim::prepared_scenario>> prepared;
  std::vector<soak_case> cases;
  for (const auto& sc : scenarios) {
    prepared.push_back(std::make_unique<sim::prepared_scenario>(*sc, b));
    for (const auto& ex : sc->expectations) {
      soak_case c;
      c.sc = sc.get();
      c.prepared = prepared.back().get();
      c.ex = &ex;
      cases.push_back(c);
    }
  }
  std::vector<sim::expectation> seeded;  // expectations with --seed applied, stable addresses
  if (a.seed) {
    seeded.reserve(cases.size());
    for (auto& c : cases) {
      seeded.push_back(*c.ex);
      seeded.back().explore.seed = *a.seed;
      c.ex = &seeded.back();
    }
  }
  if (a.executions) {
    const uint64_t n = cases.size();
    for (size_t i = 0; i < n; ++i) cases[i].budget = a.executions / n + (i < a.executions % n ? 1 : 0);
  }

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const uint64_t round = std::max<uint64_t>(1, a.round);
  // Round-robin until every case used its budget, found something, or the time is up. Bounded: every
  // round of a live case runs at least one execution (or ends the case with a finding).
  for (;;) {
    bool any = false;
    for (auto& c : cases) {
      if (sim::interrupt_requested()) break;  // Ctrl-C: the round in progress ended; summarise
      if (c.finding) continue;
      uint64_t n = round;
      if (a.executions) {
        if (c.done >= c.budget) continue;
        n = std::min(n, c.budget - c.done);
      } else if (elapsed() >= a.time_budget) {
        break;
      }
      const uint64_t before = c.done;
      run_round(c, n, a.jobs);
      if (c.done == before && !c.finding) throw sim::tool_error(fmt::format("{}: a round ran no execution", case_name(c)));
      any = true;
      spdlog::debug("{}: {} executions", case_name(c), c.done);
    }
    if (!any) break;
  }

  uint64_t total = 0, findings = 0;
  bool tool_errors = false;
  double cpu_total = 0;
  fmt::print("{:<58} {:>12} {:>8} {:>8} {:>10}  {}\n", "workload [strategy]", "executions", "wall s", "CPU s", "exec/CPU s",
             "result");
  for (const auto& c : cases) {
    total += c.done;
    cpu_total += c.cpu_seconds;
    const std::string result = !c.finding ? "clean" : c.tool_error ? "TOOL ERROR" : "FINDING";
    fmt::print("{:<58} {:>12} {:>8.1f} {:>8.1f} {:>10.0f}  {}\n", case_name(c), c.done, c.seconds, c.cpu_seconds,
               c.cpu_seconds > 0 ? double(c.done) / c.cpu_seconds : 0.0, result);
  }
  fmt::print("total: {} executions in {:.1f} s of wall time ({:.1f} s of CPU, {} worker thread{} per workload) over {} "
             "workloads ({} cases), fixes as each expectation says\n",
             total, elapsed(), cpu_total, a.jobs, a.jobs == 1 ? "" : "s", scenarios.size(), cases.size());
  if (!a.executions)
    fmt::print("budget: --time-budget {:g} s of wall time (a round in progress when it ran out was finished)\n", a.time_budget);
  for (const auto& c : cases) {
    if (!c.finding) continue;
    ++findings;
    tool_errors |= c.tool_error;
    const auto& v = *c.finding;
    fmt::print("\n{} {}: {}: {}\n  execution {} (seed {}), {} steps, {} preemptions\n  replay: {}\n",
               c.tool_error ? "TOOL ERROR" : "FINDING", case_name(c), sched::to_string(v.finding.kind), v.finding.message,
               v.index, v.key, v.steps, v.preemptions, sim::replay_command(*c.sc, c.ex->explore, c.ex->fixes, v.key));
  }
  if (tool_errors) return kToolError;
  if (findings) return kViolation;
  if (sim::interrupt_requested()) {
    fmt::print("INTERRUPTED (Ctrl-C): the executions above ran, the rest of the budget did not\n");
    return kInterrupted;
  }
  return kClean;
}

}  // namespace fsrace::cli
