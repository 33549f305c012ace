#include <chrono>
#include <cstdlib>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "reports/diagram.hpp"
#include "reports/html.hpp"
#include "reports/json_report.hpp"
#include "reports/trace_record.hpp"
#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shrink.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

std::string describe_shrink(const sim::shrink_result& r);

void save_schedule_file(const std::string& path, const sim::schedule& s) {
  try {
    reports::write_file_atomic(path, to_json(s).dump(1) + "\n");
  } catch (const std::runtime_error& e) {
    throw sim::input_error(path, "", e.what());
  }
}

int cmd_explore(const explore_args& a) {
  const sim::binding& b = sim::default_binding();
  check_output_paths({{"--html", a.html}, {"--save-schedule", a.save_schedule}});
  auto sc = sim::load_scenario(a.file, *b.cat);
  const sim::fix_setting setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
  const sim::explore_settings s = settings_for(*sc, setting, a.flags);
  sim::prepared_scenario prepared(*sc, b);
  spdlog::debug("{}: prepared in {} setup steps; fixes {} ({})", sc->file, prepared.setup_steps(), setting.describe(),
                sim::resolve_fixes(sc->fixes, setting).describe());

  sim::explore_request req;
  req.settings = s;
  req.fixes = setting;
  req.max_violations = a.keep_going ? 0 : 1;
  req.jobs = a.jobs;
  req.cpu_budget = a.time_budget;
  std::optional<sim::shard_spec> shard;
  if (!a.shard.empty()) {
    shard = sim::parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
    if (s.strategy == sim::strategy_kind::dfs) req.part = {shard->index, shard->count};  // disjoint subtrees
    else std::tie(req.first, req.end) = sim::shard_range(s.runs, *shard);
  }
  progress_line progress(sc->name, (req.end ? req.end : s.runs) - req.first);
  req.progress = [&](uint64_t done, uint64_t violations) { progress.update(done, violations); };
  const auto start = std::chrono::steady_clock::now();
  const sim::exploration e = sim::explore(prepared, req);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
  reports::case_result c = sim::case_of(*sc, e, "", seconds);

  // The first violation (or the tool error), re-run with its trace for the diagram and schedule file.
  const sim::violation_record* shown = e.tool_error ? &*e.tool_error : e.violations.empty() ? nullptr : &e.violations.front();
  // A violation is shown shrunk (fewest preemptions, then steps) unless --no-shrink.
  std::string diagram, shrink_note;
  std::optional<sim::shrink_result> shrunk;
  if (shown) {
    std::vector<sched::FiberId> decisions = shown->decisions;
    std::string origin = fmt::format("explore {} seed {}", sim::describe_strategy(s), shown->key);
    if (!e.tool_error && !a.no_shrink) {
      shrunk = sim::shrink(prepared, decisions, {setting, s.max_steps, a.shrink_budget});
      decisions = shrunk->decisions;
      shrink_note = describe_shrink(*shrunk);
      origin += "; " + shrink_note;
    }
    const sched::Execution full = sim::rerun(prepared, setting, decisions, s.max_steps);
    diagram = reports::render_diagram(full, {0, 120, a.diagram_steps, true});
    if (!e.tool_error) {
      c.violations.front().diagram = diagram;
      c.violations.front().trace = reports::trace_of(
          full, reports::kTraceStepsKept,
          shrunk ? fmt::format("Drawn {}; the seed replays the interleaving as found.", shrink_note) : "");
    }
    if (!a.save_schedule.empty()) save_schedule_file(a.save_schedule, sim::schedule_of(*sc, setting, full, origin));
  }
  const int code = e.tool_error ? kToolError : e.violations.empty() ? kClean : kViolation;
  // A DFS shard numbers executions within its subtrees: its replay commands name the shard.
  const bool dfs_shard = shard && s.strategy == sim::strategy_kind::dfs;
  const std::string replay_suffix = dfs_shard ? " --shard " + shard->describe() : "";
  // JSON and HTML results carry every violation's steps (the first one as drawn above).
  for (size_t i = 1; i < c.violations.size() && (a.json || !a.html.empty()); ++i)
    c.violations[i].trace = reports::trace_of(sim::rerun(prepared, setting, e.violations[i].decisions, s.max_steps));
  if (!a.html.empty()) {
    reports::suite_result one;
    one.cases.push_back(c);
    write_report_file("--html", a.html, reports::render_html(one, {fmt::format("fsrace explore {}", sc->file)}));
  }
  if (a.json) {
    nlohmann::json j = sim::exploration_json(*sc, e, a.keep_going, shard, seconds);
    for (size_t i = 0; i < c.violations.size(); ++i)
      if (c.violations[i].trace) j["violations"][i]["trace"] = reports::to_json(*c.violations[i].trace);
    if (shrunk)
      j["shrunk"] = {{"preemptions", shrunk->preemptions}, {"steps", shrunk->steps}, {"executions", shrunk->executions},
                     {"preemptions_minimal", shrunk->preemptions_minimal}, {"steps_minimal", shrunk->steps_minimal}};
    fmt::print("{}\n", j.dump(2));
    return code;
  }
  fmt::print("{} ({}): fixes {} [{}], {}, base seed {}{}\n", sc->name, sc->file, setting.describe(), e.fixes_resolved,
             sim::describe_strategy(s), s.seed,
             !shard ? std::string()
             : dfs_shard ? fmt::format(", shard {} (subtrees i of {} with i mod {} = {}; executions numbered within the shard)",
                                       shard->describe(), e.subtree_count, shard->count, shard->index)
                         : fmt::format(", shard {} (executions {}..{})", shard->describe(), e.first, e.end - 1));
  if (e.tool_error) {
    fmt::print("TOOL ERROR at execution {} (seed {}): {}\nThis is a bug in fsrace or its model, not a race.\n{}\nreplay: {}\n",
               e.tool_error->index, e.tool_error->key, e.tool_error->finding.message, diagram,
               sim::replay_command(*sc, s, setting, e.tool_error->key) + replay_suffix);
    return code;
  }
  if (e.violations.empty()) {
    fmt::print("clean: {} execution{}, no violation ({}) [{:.2f}s]\n", e.executions, e.executions == 1 ? "" : "s",
               sim::describe_coverage(e), seconds);
    return code;
  }
  fmt::print("{} distinct violation{} in {} executions ({} violating) [{:.2f}s]\n", e.violations.size(),
             e.violations.size() == 1 ? "" : "s", e.executions, e.violating_executions, seconds);
  for (size_t i = 0; i < c.violations.size(); ++i) {
    const auto& v = c.violations[i];
    fmt::print("\nVIOLATION {}: {}\n  seed {} (execution {}, {} steps, {} preemptions, seen {} time{})\n  replay: {}\n", v.kind,
               v.message, v.seed, v.execution, v.steps, v.preemptions, v.occurrences, v.occurrences == 1 ? "" : "s",
               v.replay_command + replay_suffix);
    if (i == 0 && !shrink_note.empty()) fmt::print("  {}\n", shrink_note);
    if (i == 0) fmt::print("\n{}", diagram);
  }
  if (!a.save_schedule.empty()) fmt::print("\nschedule saved: {} (fsrace replay {} --schedule {})\n", a.save_schedule, sc->file, a.save_schedule);
  return code;
}

}  // namespace fsrace::cli
