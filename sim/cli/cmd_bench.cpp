// `fsrace bench`: the figures the README's Performance section quotes, in one run.
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "scheduler/strategy.hpp"
#include "sim/bench_scenario.hpp"
#include "sim/bench_scheduler.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {
namespace {

std::string figure(const sim::bench::first_violation& x) {
  if (x.median_executions) return fmt::format("{}", *x.median_executions);
  // Stopped by the CPU cap: the execution count it reached is not a budget the scenario allows.
  return x.stopped_by_cpu_cap ? fmt::format("none in {:g} CPU s", x.cpu_cap) : fmt::format("none in {}", x.budget);
}
std::string seconds(const std::optional<double>& v) { return v ? fmt::format("{:.3f} s", *v) : "-"; }
nlohmann::json or_null(const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json to_json(const sim::bench::scenario_figures& f) {
  nlohmann::json first = nlohmann::json::array();
  for (const auto& x : f.first)
    first.push_back({{"strategy", x.strategy}, {"seeds", x.seeds}, {"found", x.found}, {"kind", x.kind}, {"budget", x.budget},
                     {"cpu_cap_seconds", x.cpu_cap}, {"stopped_by_cpu_cap", x.stopped_by_cpu_cap},
                     {"median_executions", or_null(x.median_executions)}, {"median_cpu_seconds", or_null(x.median_seconds)}});
  nlohmann::json j = {{"scenario", f.name},
                      {"file", f.file},
                      {"default_strategy", f.default_strategy},
                      {"executions_per_cpu_second", f.executions_per_second},
                      {"executions_per_wall_second", f.executions_per_wall_second},
                      {"executions_per_cpu_second_with_label_coverage", f.executions_per_second_labels},
                      {"steps_per_execution", f.steps_per_execution},
                      {"clone_ns", f.clone_ns},
                      {"first_violation_fixes_off", first}};
  if (f.verify)
    j["verify_fixes_on"] = {{"strategy", f.verify->strategy}, {"preemptions", f.verify->bound}, {"executions", f.verify->executions},
                            {"exhausted", f.verify->exhausted}, {"coverage", f.verify->coverage}, {"violation", f.verify->violation},
                            {"seconds", f.verify->seconds}, {"cpu_seconds", f.verify->cpu_seconds}};
  if (f.verify && f.verify->reduced) {
    j["verify_fixes_on"]["traces"] = f.verify->traces;
    j["verify_fixes_on"]["traces_capped"] = f.verify->traces_capped;
  }
  return j;
}

void print(const sim::bench::scenario_figures& f) {
  fmt::print("\n{} ({})\n", f.name, f.file);
  fmt::print("  {:.0f} executions per CPU second, {:.0f} per wall second (random, fixes on; {:.0f} steps each; clone {:.2f} us)\n",
             f.executions_per_second, f.executions_per_wall_second, f.steps_per_execution, f.clone_ns / 1e3);
  fmt::print("  {:.0f} executions per CPU second with label coverage, as explore runs ({:.0f}% more CPU per execution; explore --no-label-coverage turns it off)\n",
             f.executions_per_second_labels, 100.0 * (f.executions_per_second / f.executions_per_second_labels - 1));
  fmt::print("  first violation, fixes off (default strategy: {}; CPU seconds):\n", f.default_strategy);
  for (const auto& x : f.first)
    fmt::print("    {:<20} {:>10} executions {:>10}   (found by {}/{} seed{}{}{})\n", x.strategy, figure(x),
               seconds(x.median_seconds), x.found, x.seeds, x.seeds == 1 ? "" : "s", x.kind.empty() ? "" : ", " + x.kind,
               x.stopped_by_cpu_cap ? fmt::format("; {} stopped by the {:g} CPU s cap", x.stopped_by_cpu_cap, x.cpu_cap) : "");
  if (f.verify)
    fmt::print("  fixed variant, {}: {} executions{}, {}, {:.1f} CPU s ({:.1f} s wall)\n", f.verify->strategy, f.verify->executions,
               f.verify->reduced ? fmt::format(" ({}{} distinct traces)", f.verify->traces_capped ? "at least " : "", f.verify->traces) : std::string(),
               !f.verify->violation.empty() ? "violation " + f.verify->violation : "clean, " + f.verify->coverage,
               f.verify->cpu_seconds, f.verify->seconds);
}

}  // namespace

int cmd_bench(const bench_args& a) {
  namespace bench = sim::bench;
  const sim::binding& b = sim::default_binding();
  const auto files = sim::find_scenarios(a.scenarios.empty() ? std::vector<std::string>{FSRACE_SCENARIO_DIR} : a.scenarios);
  // Load everything first: bad input is reported before minutes of measuring.
  std::vector<std::unique_ptr<sim::scenario>> scenarios;
  for (const auto& f : files) scenarios.push_back(load_scenario_arg(f, *b.cat));

  const uint64_t n = a.decisions;
  const double raw = bench::best_of(a.repeat, [&] { return bench::raw_round_trip_ns(n); });
  sched::RandomStrategy random;
  bench::round_robin rr;
  auto decision = [&](sched::Strategy& s, bool trace) {
    return bench::best_of(a.repeat, [&] { return bench::ping_pong(s, n, 100, trace).ns_per_decision; });
  };
  const double random_trace = decision(random, true), random_plain = decision(random, false), rr_plain = decision(rr, false);
  if (!a.json) {
    fmt::print("fsrace bench: {} hardware threads; scheduler figures best of {}, first-violation figures median of {} base "
               "seeds (budget {} executions or the scenario's runs, {:g} CPU s each)\n",
               std::thread::hardware_concurrency(), a.repeat, a.seeds, a.budget, a.first_cpu);
    fmt::print("raw Boost.Context round trip:              {:6.2f} ns (the physical limit)\n", raw);
    fmt::print("decision, ping-pong, random, trace on:     {:6.2f} ns, {:5.1f} M decisions/s, {:.2f}x raw\n", random_trace,
               1e3 / random_trace, random_trace / raw);
    fmt::print("decision, ping-pong, random, trace off:    {:6.2f} ns, {:5.1f} M decisions/s, {:.2f}x raw\n", random_plain,
               1e3 / random_plain, random_plain / raw);
    fmt::print("decision, ping-pong, round robin, no trace:{:6.2f} ns, {:5.1f} M decisions/s, {:.2f}x raw\n", rr_plain,
               1e3 / rr_plain, rr_plain / raw);
  }
  bench::scenario_options o;
  o.seeds = a.seeds;
  o.budget = a.budget;
  o.rate_runs = a.rate_runs;
  o.first_cpu_seconds = a.first_cpu;
  o.verify = a.verify;
  o.verify_bound = a.verify_bound;
  if (!a.verify_strategy.empty()) {
    const auto k = sim::parse_strategy(a.verify_strategy);
    if (!k || !sim::is_systematic(*k))
      throw sim::input_error("", "--verify-strategy", fmt::format("expected dfs or dpor, got \"{}\"", a.verify_strategy));
    o.verify_strategy = *k;
  }
  o.verify_cpu_seconds = a.verify_budget;
  o.jobs = a.jobs;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& sc : scenarios) {
    spdlog::info("bench: {}", sc->name);  // progress: a scenario takes seconds, --verify minutes
    sim::prepared_scenario prepared(*sc, b);
    const auto f = bench::measure_scenario(prepared, o);
    if (a.json) rows.push_back(to_json(f));
    else print(f), std::fflush(stdout);
  }
  if (a.json) {
    const nlohmann::json j = {
        {"hardware_threads", std::thread::hardware_concurrency()},
        {"repeat", a.repeat},
        {"seeds", a.seeds},
        {"budget", a.budget},
        {"first_cpu_seconds", a.first_cpu},
        {"raw_round_trip_ns", raw},
        {"decision_ns", {{"random_trace", random_trace}, {"random", random_plain}, {"round_robin", rr_plain}}},
        {"decision_ratio_to_raw", random_trace / raw},
        {"decisions_per_second", 1e9 / random_trace},
        {"scenarios", rows}};
    fmt::print("{}\n", j.dump(2));
  }
  return kClean;
}

}  // namespace fsrace::cli
