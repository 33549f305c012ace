#include "sim/suite.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "reports/diagram.hpp"
#include "reports/trace_record.hpp"
#include "sim/search/search.hpp"
#include "sim/shrink.hpp"

namespace fsrace::sim {
namespace {

std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-+=:,@").find(c) != std::string_view::npos;
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool matches(const expectation& ex, const sched::Finding& f) {
  if (ex.kind && f.kind != *ex.kind) return false;
  return ex.message_contains.empty() || f.message.find(ex.message_contains) != std::string::npos;
}

}  // namespace

std::string describe_strategy(const explore_settings& s) {
  std::string out = to_string(s.strategy);
  const search_entry& e = search_of(s.strategy);
  if (e.takes_depth) out += fmt::format(" depth {}", s.depth);
  if (e.takes_preemptions) out += fmt::format(" preemptions {}", s.preemptions);
  return out;
}

std::string replay_command(const scenario& sc, const explore_settings& s, const fix_setting& fixes, uint64_t key) {
  std::string cmd = fmt::format("fsrace replay {} --seed {} --strategy {}", shell_quote(sc.file), key, to_string(s.strategy));
  const search_entry& e = search_of(s.strategy);
  if (e.takes_depth) cmd += fmt::format(" --depth {}", s.depth);
  if (e.takes_preemptions) cmd += fmt::format(" --preemptions {}", s.preemptions);
  if (s.max_steps != explore_settings{}.max_steps) cmd += fmt::format(" --max-steps {}", s.max_steps);
  return cmd + " " + fixes.cli_args();
}

std::string switches_replay_command(const scenario& sc, const explore_settings& s, const fix_setting& fixes,
                                    const std::string& switches) {
  std::string cmd = fmt::format("fsrace replay {} --switches {}", shell_quote(sc.file), switches.empty() ? "''" : switches);
  if (s.max_steps != explore_settings{}.max_steps) cmd += fmt::format(" --max-steps {}", s.max_steps);
  return cmd + " " + fixes.cli_args();
}

std::optional<shrink_result> show_violation(const prepared_scenario& prepared, const explore_settings& s,
                                            const fix_setting& fixes, const std::vector<sched::FiberId>& decisions,
                                            const show_options& o, reports::violation_entry& entry) {
  std::optional<shrink_result> shrunk;
  std::vector<sched::FiberId> drawn = decisions;
  if (o.shrink) {
    shrink_request req{fixes, s.max_steps, o.shrink_budget, o.shrink_seconds, o.shrink_progress};
    shrunk = shrink(prepared, decisions, req);
    drawn = shrunk->decisions;
  }
  const marked_execution m = rerun_marked(prepared, fixes, drawn, s.max_steps);
  reports::diagram_options d{0, 120, o.diagram_steps, true, m.preemptions, o.footer};
  entry.diagram = reports::render_diagram(m.ex, d);
  std::string note;
  if (shrunk) {
    entry.shrink_note = describe_shrink(*shrunk);
    entry.found_replay_command = entry.replay_command;
    entry.replay_command = switches_replay_command(prepared.the_scenario(), s, fixes, format_switches(m.switches));
    entry.steps = m.ex.steps;
    entry.preemptions = m.ex.preemptions;
    note = fmt::format("Drawn {}; the seed's command replays it as found.", entry.shrink_note);
  }
  entry.trace = reports::window_trace_of(m.ex, m.preemptions, reports::kTraceStepsShown, note);
  return shrunk;
}

reports::case_result case_of(const scenario& sc, const exploration& e, const std::string& expected, double seconds) {
  reports::case_result c;
  c.scenario = sc.name;
  c.file = sc.file;
  c.fixes = e.fixes.describe();
  c.expected = expected;
  c.strategy = describe_strategy(e.settings);
  c.base_seed = e.settings.seed;
  c.executions = e.executions;
  c.violating_executions = e.violating_executions;
  c.exhausted = e.exhausted;
  c.estimated_executions = e.estimated_executions;
  c.estimate_error = e.estimate_error;
  c.estimate_settled = e.estimate_settled;
  c.coverage = describe_coverage(e);
  c.labels = e.labels;
  c.seconds = seconds;
  for (const auto& v : e.violations) {
    reports::violation_entry entry;
    entry.kind = sched::to_string(v.finding.kind);
    entry.message = v.finding.message;
    entry.seed = v.key;
    entry.execution = v.index;
    entry.occurrences = v.occurrences;
    entry.steps = v.steps;
    entry.preemptions = v.preemptions;
    entry.replay_command = replay_command(sc, e.settings, e.fixes, v.key);
    c.violations.push_back(std::move(entry));
  }
  if (e.tool_error) {
    c.result = reports::case_result::status::error;
    c.reason = fmt::format("tool error at execution {} (seed {}): {} — this is a bug in fsrace or its model, not a race; "
                           "replay: {}",
                           e.tool_error->index, e.tool_error->key, e.tool_error->finding.message,
                           replay_command(sc, e.settings, e.fixes, e.tool_error->key));
  }
  return c;
}

reports::case_result check_expectation(const prepared_scenario& prepared, const expectation& ex, size_t diagram_steps,
                                       unsigned jobs, double cpu_budget) {
  show_options o;
  o.diagrams = diagram_steps > 0;
  o.diagram_steps = diagram_steps;
  return check_expectation(prepared, ex, o, jobs, cpu_budget);
}

reports::case_result check_expectation(const prepared_scenario& prepared, const expectation& ex, const show_options& o,
                                       unsigned jobs, double cpu_budget) {
  const scenario& sc = prepared.the_scenario();
  explore_request req;
  req.settings = ex.explore;
  req.fixes = ex.fixes;
  req.max_violations = ex.violation ? 8 : 1;
  req.jobs = jobs;
  req.cpu_budget = cpu_budget;
  if (ex.violation) req.wanted = [&ex](const sched::Finding& f) { return matches(ex, f); };
  if (o.progress) req.progress = o.progress;
  const auto start = std::chrono::steady_clock::now();
  const exploration e = explore(prepared, req);
  reports::case_result c = case_of(sc, e, ex.describe(), 0);
  c.interrupted = e.interrupted;
  const auto found = std::find_if(e.violations.begin(), e.violations.end(), [&](const auto& v) { return matches(ex, v.finding); });
  // The violation the case is about (the matching one, else the first) is shrunk; the others drawn as found.
  const size_t main = found != e.violations.end() ? static_cast<size_t>(found - e.violations.begin()) : 0;
  if (o.diagrams && !e.interrupted)
    for (size_t i = 0; i < e.violations.size(); ++i) {
      show_options each = o;
      each.shrink = o.shrink && i == main;
      show_violation(prepared, ex.explore, ex.fixes, e.violations[i].decisions, each, c.violations[i]);
    }
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();  // shrinking included
  if (c.result == reports::case_result::status::error) return c;
  // Ctrl-C before the verdict: what was not explored proves nothing, so nothing passes on a part. A
  // violation found where none was expected, or the one expected, decides the case anyway.
  const bool decided = ex.violation ? found != e.violations.end() : !e.violations.empty();
  if (e.interrupted && !decided) {
    c.result = reports::case_result::status::fail;
    c.reason = fmt::format("interrupted (Ctrl-C) after {} execution{}, before the search could decide: expected {}, "
                           "unproven", e.executions, e.executions == 1 ? "" : "s", ex.describe());
    return c;
  }
  if (!ex.violation) {
    if (!e.violations.empty()) {
      c.result = reports::case_result::status::fail;
      const auto& v = e.violations.front();
      c.reason = fmt::format("expected clean, found {} at execution {}: {}", sched::to_string(v.finding.kind), v.index,
                             v.finding.message);
    } else if (ex.explore.requires_exhaustive() && !e.exhausted) {
      // No violation in part of the space proves nothing about the rest: an unearned "clean" is the worst
      // verdict this tool can give.
      c.result = reports::case_result::status::fail;
      c.reason = fmt::format("expected clean over the whole bounded space, but the search stopped before its end ({}); "
                             "raise \"runs\"{}, lower \"preemptions\", or say that a sample is enough with "
                             "\"exhaustive\": false",
                             c.coverage, e.time_up ? " or the time budget" : "");
    }
    return c;
  }
  if (found != e.violations.end()) {
    // Keep the matching violation first: it is what the case is about.
    std::rotate(c.violations.begin(), c.violations.begin() + (found - e.violations.begin()),
                c.violations.begin() + (found - e.violations.begin()) + 1);
    return c;
  }
  c.result = reports::case_result::status::fail;
  if (e.violations.empty()) {
    c.reason = fmt::format("expected {}, found no violation in {} execution{} ({})", ex.describe(), e.executions,
                           e.executions == 1 ? "" : "s", c.coverage);
  } else {
    c.reason = fmt::format("expected {}, found only other violations in {} executions, first: {}: {}", ex.describe(),
                           e.executions, sched::to_string(e.violations.front().finding.kind),
                           e.violations.front().finding.message);
  }
  return c;
}

std::vector<std::string> find_scenarios(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".json" && entry.path().filename() != "schema.json")
          found.push_back(entry.path().string());
      if (ec) throw input_error(p, "", fmt::format("cannot list the directory: {}", ec.message()));
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      throw input_error(p, "", "no such file or directory");
    }
  }
  return out;
}

}  // namespace fsrace::sim
