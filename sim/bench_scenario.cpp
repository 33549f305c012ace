#include "sim/bench_scenario.hpp"

#include <algorithm>
#include <limits>

#include "sim/bench_scheduler.hpp"
#include "sim/explore.hpp"
#include "sim/suite.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim::bench {
namespace {

const fix_setting kOff{false, {}};
const fix_setting kOn{true, {}};

// The exploration `fsrace run` uses for a fix setting: its first expectation's, else the scenario's.
explore_settings settings_of(const scenario& sc, const fix_setting& fixes) {
  for (const auto& ex : sc.expectations)
    if (ex.fixes == fixes) return ex.explore;
  return sc.explore;
}

first_violation time_to_violation(const prepared_scenario& p, explore_settings s, const scenario_options& o) {
  first_violation out;
  out.strategy = describe_strategy(s);
  // At least what the scenario itself allows; the CPU cap ends a run that would take longer.
  s.runs = out.budget = std::max(o.budget, s.runs);
  out.cpu_cap = o.first_cpu_seconds;
  const uint64_t seeds = is_systematic(s.strategy) ? 1 : o.seeds;
  struct sample {
    double executions, seconds;
    std::string kind;
  };
  std::vector<sample> samples;
  constexpr double kNever = std::numeric_limits<double>::infinity();
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    explore_request req;
    req.settings = s;
    req.settings.seed = seed;
    req.fixes = kOff;
    req.max_violations = 1;
    req.cpu_budget = o.first_cpu_seconds;
    const double start = thread_cpu_seconds();
    const exploration e = explore(p, req);
    const double seconds = thread_cpu_seconds() - start;
    if (e.violations.empty()) {
      if (e.time_up) ++out.stopped_by_cpu_cap;
      samples.push_back({kNever, kNever, ""});
      continue;
    }
    ++out.found;
    samples.push_back({double(e.violations.front().index + 1), seconds, sched::to_string(e.violations.front().finding.kind)});
  }
  out.seeds = seeds;
  // Lower median; executions and seconds ranked separately (they rank alike up to timing noise).
  const size_t mid = (samples.size() - 1) / 2;
  auto by = [&](auto field) {
    std::vector<double> v;
    for (const auto& x : samples) v.push_back(x.*field);
    std::nth_element(v.begin(), v.begin() + mid, v.end());
    return v[mid];
  };
  if (const double ex = by(&sample::executions); ex != kNever) {
    out.median_executions = static_cast<uint64_t>(ex);
    out.median_seconds = by(&sample::seconds);
  }
  for (const auto& x : samples)
    if (!x.kind.empty()) {
      out.kind = x.kind;
      break;
    }
  return out;
}

}  // namespace

double clone_ns(const prepared_scenario& p, uint64_t n) {
  auto copy = p.base().clone();
  return best_of(3, [&] {
    const double start = thread_cpu_seconds();
    for (uint64_t i = 0; i < n; ++i) copy->reset_from(p.base());
    return (thread_cpu_seconds() - start) * 1e9 / static_cast<double>(n);
  });
}

scenario_figures measure_scenario(const prepared_scenario& p, const scenario_options& o) {
  const scenario& sc = p.the_scenario();
  scenario_figures out;
  out.name = sc.name;
  out.file = sc.file;
  tune_allocator_once();  // as explore() does: the rates below are those of explorations
  const explore_settings off = settings_of(sc, kOff);
  out.default_strategy = describe_strategy(off);
  // A fixed CPU time rather than a fixed count: clones of large scenarios cost 1000x those of small ones.
  out.clone_ns = clone_ns(p, 200);
  if (out.clone_ns < 50'000) out.clone_ns = std::min(out.clone_ns, clone_ns(p, 20000));

  {  // executions/s: the random walk over the fixed variant runs every execution to its end. Best of 5
    // rounds, each timing the executor without label coverage and then the one with it (explore collects
    // it unless --no-label-coverage), so that both see the same machine load.
    executor plain(p, off.max_steps, false), labelled(p, off.max_steps, false);
    sched::LabelCoverage coverage;
    labelled.set_label_coverage(&coverage);
    sched::RandomStrategy random;
    sched::Execution ex;
    const double runs = static_cast<double>(o.rate_runs);
    for (int round = 0; round < 5; ++round)
      for (executor* exec : {&plain, &labelled}) {
        exec->set_fixes(resolve_fixes(sc.fixes, kOn));
        uint64_t steps = 0;
        const auto start = clock::now();
        const double cpu_start = thread_cpu_seconds();
        for (uint64_t i = 0; i < o.rate_runs; ++i) {
          exec->run(random, sched::execution_seed(1, i), ex);
          steps += ex.steps;
        }
        const double rate = runs / (thread_cpu_seconds() - cpu_start);
        if (exec == &labelled) {
          out.executions_per_second_labels = std::max(out.executions_per_second_labels, rate);
          continue;
        }
        out.executions_per_second = std::max(out.executions_per_second, rate);
        out.executions_per_wall_second = std::max(out.executions_per_wall_second, runs / seconds_since(start));
        out.steps_per_execution = static_cast<double>(steps) / runs;
      }
  }

  for (const search_entry& e : all_searches()) {
    explore_settings s = off;
    s.strategy = e.kind;
    out.first.push_back(time_to_violation(p, s, o));
  }

  if (o.verify) {
    verification v;
    v.bound = o.verify_bound;
    explore_request req;
    req.settings = settings_of(sc, kOn);
    req.settings.strategy = o.verify_strategy;
    req.settings.preemptions = o.verify_bound;
    req.settings.runs = 1'000'000'000;
    req.fixes = kOn;
    req.jobs = o.jobs;
    req.cpu_budget = o.verify_cpu_seconds;
    v.strategy = describe_strategy(req.settings);
    const auto start = clock::now();
    const double cpu_start = process_cpu_seconds();  // every worker thread's time, not only the waiting one's
    const exploration e = explore(p, req);
    v.seconds = seconds_since(start);
    v.cpu_seconds = process_cpu_seconds() - cpu_start;
    v.executions = e.executions;
    v.exhausted = e.exhausted;
    v.reduced = search_of(o.verify_strategy).reduced;
    v.traces = e.traces;
    v.traces_capped = e.traces_capped;
    v.coverage = describe_coverage(e);
    if (e.tool_error) v.violation = "tool error: " + e.tool_error->finding.message;
    else if (!e.violations.empty()) v.violation = std::string(sched::to_string(e.violations.front().finding.kind)) + ": " + e.violations.front().finding.message;
    out.verify = v;
  }
  return out;
}

}  // namespace fsrace::sim::bench
