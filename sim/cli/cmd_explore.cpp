#include <chrono>
#include <cstdlib>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "reports/diagram.hpp"
#include "reports/html.hpp"
#include "reports/json_report.hpp"
#include "reports/label_coverage_text.hpp"
#include "reports/trace_record.hpp"
#include "reports/write_atomic.hpp"
#include "sim/btrfs_check_image.hpp"
#include "sim/search/search.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shrink.hpp"
#include "sim/interrupt.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

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
  auto sc = load_scenario_arg(a.file, *b.cat);
  const sim::fix_setting setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
  const sim::explore_settings s = settings_for(*sc, setting, a.flags);
  const auto start = std::chrono::steady_clock::now();
  sim::prepared_scenario prepared(*sc, b);
  spdlog::debug("{}: prepared in {} setup steps; fixes {} ({})", sc->file, prepared.setup_steps(), setting.describe(),
                sim::resolve_fixes(sc->fixes, setting).describe());

  sim::explore_request req;
  req.settings = s;
  req.fixes = setting;
  req.max_violations = a.keep_going ? 0 : 1;
  req.jobs = a.jobs;
  req.cpu_budget = a.time_budget;
  req.label_coverage = !a.no_label_coverage;
  if (a.dpor_races > 0 && s.strategy != sim::strategy_kind::dpor)
    throw sim::input_error("", "--dpor-races", fmt::format("races are tallied by the dpor strategy; this run uses {} "
                                                           "(add --strategy dpor)", sim::describe_strategy(s)));
  req.dpor_races = a.dpor_races;
  std::optional<sim::shard_spec> shard;
  if (!a.shard.empty()) {
    shard = sim::parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
    if (sim::search_of(s.strategy).divides != sim::division::seeds) req.part = {shard->index, shard->count};
    else std::tie(req.first, req.end) = sim::shard_range(s.runs, *shard);
  }
  std::optional<progress_line> progress(std::in_place, sc->name, (req.end ? req.end : s.runs) - req.first);
  req.progress = [&](uint64_t done, uint64_t violations) { progress->update(done, violations); };
  const sim::exploration e = sim::explore(prepared, req);
  progress.reset();
  const double explore_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reports::case_result c = sim::case_of(*sc, e, "", explore_seconds);
  c.interrupted = e.interrupted;

  // The first violation (or the tool error), shrunk (fewest preemptions, then steps) unless --no-shrink or
  // interrupted, and drawn as its race window.
  const sim::violation_record* shown = e.tool_error ? &*e.tool_error : e.violations.empty() ? nullptr : &e.violations.front();
  std::optional<sim::shrink_result> shrunk;
  reports::violation_entry tool_entry;
  if (shown) {
    sim::show_options o;
    o.diagrams = true;
    o.diagram_steps = a.diagram_steps;
    o.footer = false;  // the message is printed above the diagram
    o.shrink = !e.tool_error && !a.no_shrink && !e.interrupted;
    o.shrink_budget = a.shrink_budget;
    o.shrink_seconds = a.shrink_seconds;
    shrink_line line(sc->name);
    o.shrink_progress = [&](uint64_t n, uint64_t p, uint64_t st, const char* phase) { line.update(n, p, st, phase); };
    reports::violation_entry& entry = e.tool_error ? tool_entry : c.violations.front();
    if (e.tool_error) entry.replay_command = sim::replay_command(*sc, s, setting, e.tool_error->key);
    if (o.shrink)
      spdlog::debug("{}: shrinking execution {} ({} steps, {} preemptions)", sc->name, shown->index, shown->steps, shown->preemptions);
    shrunk = sim::show_violation(prepared, s, setting, shown->decisions, o, entry);
    if (!a.save_schedule.empty()) {
      const sim::marked_execution m = sim::rerun_marked(prepared, setting, shrunk ? shrunk->decisions : shown->decisions, s.max_steps);
      std::string origin = fmt::format("explore {} seed {}", sim::describe_strategy(s), shown->key);
      if (shrunk) origin += "; " + sim::describe_shrink(*shrunk);
      save_schedule_file(a.save_schedule, sim::schedule_of(*sc, setting, m.ex, origin));
    }
  }
  // btrfs check of a sample of clean executions' end states (outside the exploration: re-run afterwards).
  std::optional<sim::btrfs_check_sample_result> checked;
  if (a.btrfs_check_sample && !e.tool_error && !e.interrupted) {
    if (shard && sim::search_of(s.strategy).divides != sim::division::seeds)
      throw sim::input_error("", "--btrfs-check-sample", "a dfs or dpor shard numbers its executions within its own part; check a "
                                                         "sample of the unsharded search, or of a random or pct shard");
    try {
      checked = sim::btrfs_check_sample(prepared, s, setting, e.first, a.btrfs_check_sample, e.executions);
    } catch (const std::logic_error& err) {
      throw sim::tool_error(fmt::format("--btrfs-check-sample: {}", err.what()));
    } catch (const std::runtime_error& err) {
      throw sim::input_error("", "--btrfs-check-sample", err.what());
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.seconds = seconds;  // exploring, shrinking and drawing: what the user waited for
  // Ctrl-C while shrinking stops the shrink at the smallest schedule so far: the violation is shown as
  // shrunk that far, and the run counts as interrupted like one stopped while exploring.
  const bool shrink_interrupted = shrunk && shrunk->interrupted;
  const bool interrupted = e.interrupted || shrink_interrupted;
  c.interrupted = interrupted;
  const bool check_failed = checked && !checked->failures.empty();
  const int code = interrupted ? kInterrupted : e.tool_error ? kToolError : e.violations.empty() && !check_failed ? kClean : kViolation;
  auto export_command = [&](uint64_t key) {
    return fmt::format("fsrace export {} --strategy {} --seed {} --fixes {} -o DIR", sc->file, sim::to_string(s.strategy), key,
                       setting.on ? "on" : "off");
  };
  // A shard of a search cut into subtrees or plans (dfs, dpor) numbers executions within its part: its
  // replay commands name the shard.
  const bool dfs_shard = shard && sim::search_of(s.strategy).divides != sim::division::seeds;
  const std::string replay_suffix = dfs_shard ? " --shard " + shard->describe() : "";
  // JSON and HTML results carry every violation's steps (the first one as drawn above).
  for (size_t i = 1; i < c.violations.size() && (a.json || !a.html.empty()); ++i) {
    sim::show_options o;
    o.diagrams = true;
    o.diagram_steps = a.diagram_steps;
    sim::show_violation(prepared, s, setting, e.violations[i].decisions, o, c.violations[i]);
  }
  if (!a.html.empty()) {
    reports::suite_result one;
    one.cases.push_back(c);
    one.interrupted = interrupted;
    write_report_file("--html", a.html, reports::render_html(one, {fmt::format("fsrace explore {}", sc->file)}));
  }
  if (a.json) {
    nlohmann::json j = sim::exploration_json(*sc, e, a.keep_going, shard, seconds);
    for (size_t i = 0; i < c.violations.size(); ++i) {
      if (c.violations[i].trace) j["violations"][i]["trace"] = reports::to_json(*c.violations[i].trace);
      if (!c.violations[i].found_replay_command.empty()) {  // the shrunk race is the race: its command is "replay"
        auto& jv = j["violations"][i];
        jv["replay"] = c.violations[i].replay_command;
        jv["replay_as_found"] = c.violations[i].found_replay_command;
        if (!c.violations[i].shrink_note.empty()) jv["shrunk"] = c.violations[i].shrink_note;
      }
    }
    if (shrunk)
      j["shrunk"] = {{"preemptions", shrunk->preemptions}, {"steps", shrunk->steps}, {"executions", shrunk->executions},
                     {"seconds", shrunk->seconds}, {"preemptions_minimal", shrunk->preemptions_minimal},
                     {"steps_minimal", shrunk->steps_minimal}, {"stopped_early", shrunk->out_of_time || shrunk->out_of_executions}};
    if (checked) {
      nlohmann::json failures = nlohmann::json::array();
      for (const auto& f : checked->failures)
        failures.push_back({{"execution", f.index}, {"seed", f.key}, {"output", f.check.detail}, {"export", export_command(f.key)}});
      j["btrfs_check_sample"] = {{"asked", a.btrfs_check_sample}, {"executions", checked->executions}, {"checked", checked->checked},
                                 {"passed", checked->passed}, {"not_exportable", checked->not_exportable},
                                 {"failures", failures},
                                 {"skipped", checked->not_available.empty() ? nlohmann::json() : nlohmann::json(checked->not_available)}};
    }
    j["interrupted"] = interrupted;
    if (a.dpor_races > 0) {
      nlohmann::json races = nlohmann::json::array();
      for (const auto& r : e.dpor_races)
        races.push_back({{"first", r.first}, {"second", r.second}, {"first_undeclared", r.first_undeclared},
                         {"second_undeclared", r.second_undeclared}, {"backtracks", r.backtracks},
                         {"conservative", r.conservative}});
      j["dpor_races"] = races;
    }
    fmt::print("{}\n", j.dump(2));
    return code;
  }
  fmt::print("{} ({}): fixes {} [{}], {}, base seed {}{}\n", sc->name, sc->file, setting.describe(), e.fixes_resolved,
             sim::describe_strategy(s), s.seed,
             !shard ? std::string()
             : dfs_shard && sim::search_of(s.strategy).divides == sim::division::spawned
                 ? fmt::format(", shard {} (the first plan{}, and the plans i it cuts off with i mod {} = {}; executions "
                               "numbered within the shard)", shard->describe(), shard->index == 0 ? "" : " run for its cuts only",
                               shard->count, shard->index)
             : dfs_shard ? fmt::format(", shard {} (subtrees i of {} with i mod {} = {}; executions numbered within the shard)",
                                       shard->describe(), e.subtree_count, shard->count, shard->index)
                         : fmt::format(", shard {} (executions {}..{})", shard->describe(), e.first, e.end - 1));
  const std::string timing = fmt::format("[{:.2f}s: exploring {:.2f}s{}]", seconds, explore_seconds,
                                         shrunk ? fmt::format(", shrinking {:.2f}s", shrunk->seconds) : std::string());
  if (e.tool_error) {
    fmt::print("TOOL ERROR at execution {} (seed {}): {}\nThis is a bug in fsrace or its model, not a race.\n{}\nreplay: {}\n",
               e.tool_error->index, e.tool_error->key, e.tool_error->finding.message, tool_entry.diagram,
               sim::replay_command(*sc, s, setting, e.tool_error->key) + replay_suffix);
    return code;
  }
  if (e.interrupted)
    fmt::print("INTERRUPTED after {} execution{} ({} violating){}\n", e.executions, e.executions == 1 ? "" : "s",
               e.violating_executions, e.violations.empty() ? ": no violation so far" : "");
  auto print_checked = [&] {
    if (!checked) return;
    const auto& k = *checked;
    if (!k.not_available.empty()) {
      fmt::print("btrfs check sample: SKIPPED, not available: {}\n", k.not_available);
      return;
    }
    fmt::print("btrfs check sample: {} clean execution{} of the first {} checked, {} passed{}{}\n", k.checked,
               k.checked == 1 ? "" : "s", k.executions, k.passed,
               k.not_exportable ? fmt::format(", {} not exportable yet", k.not_exportable) : std::string(),
               k.checked + k.not_exportable < a.btrfs_check_sample ? fmt::format(" (fewer than the {} asked: no more clean executions)", a.btrfs_check_sample)
                                                                  : std::string());
    for (const auto& f : k.failures)
      fmt::print("BTRFS CHECK FAILED on the end state of clean execution {} (seed {}); the model's own checks passed: the export, "
                 "the model or its fsck departs from the kernel\n  export: {}\n{}\n",
                 f.index, f.key, export_command(f.key), f.check.detail);
  };
  auto print_races = [&] {
    if (a.dpor_races == 0) return;
    fmt::print("DPOR races: the {} pairs of steps (labels where each starts; [U]: ran undeclared code) whose races added "
               "the most backtrack points (at the first step / where its run of steps began){}\n",
               e.dpor_races.size(), e.dpor_races.empty() ? ": none" : "");
    for (const auto& r : e.dpor_races)
      fmt::print("  {:>9} / {:<9} {}{}  <->  {}{}\n", r.backtracks, r.conservative, r.first, r.first_undeclared ? " [U]" : "",
                 r.second, r.second_undeclared ? " [U]" : "");
  };
  if (e.violations.empty()) {
    if (!e.interrupted)
      fmt::print("clean: {} execution{}{}, no violation ({}) {}\n  label coverage: {}\n", e.executions,
                 e.executions == 1 ? "" : "s",
                 sim::search_of(s.strategy).reduced ? sim::describe_reduction(e) : std::string(),
                 sim::describe_coverage(e), timing, reports::label_coverage_line(e.labels));
    print_checked();
    print_races();
    return code;
  }
  fmt::print("{} distinct violation{} in {} executions ({} violating) {}\n", e.violations.size(),
             e.violations.size() == 1 ? "" : "s", e.executions, e.violating_executions, timing);
  for (size_t i = 0; i < c.violations.size(); ++i) {
    const auto& v = c.violations[i];
    const auto& found = e.violations[i];
    fmt::print("\nVIOLATION {}: {}\n  found at execution {} (seed {}, {} steps, {} preemptions, seen {} time{})\n", v.kind, v.message,
               v.execution, v.seed, found.steps, found.preemptions, v.occurrences, v.occurrences == 1 ? "" : "s");
    if (i == 0 && shrunk) {
      fmt::print("  {}\n  replay (shrunk, as drawn below): {}\n  replay (as found): {}\n", v.shrink_note, v.replay_command,
                 v.found_replay_command + replay_suffix);
    } else {
      fmt::print("  replay: {}\n", v.replay_command + replay_suffix);
    }
    if (i == 0) fmt::print("\n{}", v.diagram);
  }
  if (shrink_interrupted)
    fmt::print("\nINTERRUPTED (Ctrl-C) while shrinking: the violation is drawn as shrunk so far (not proven minimal)\n");
  print_checked();
  print_races();
  if (!a.save_schedule.empty()) fmt::print("\nschedule saved: {} (fsrace replay {} --schedule {})\n", a.save_schedule, sc->file, a.save_schedule);
  return code;
}

}  // namespace fsrace::cli
