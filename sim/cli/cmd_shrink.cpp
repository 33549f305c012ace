#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "reports/diagram.hpp"
#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shrink.hpp"
#include "sim/suite.hpp"
#include "sim/cli/progress.hpp"

namespace fsrace::cli {

void save_schedule_file(const std::string& path, const sim::schedule& s);

int cmd_shrink(const shrink_args& a) {
  const sim::binding& b = sim::default_binding();
  auto sc = load_scenario_arg(a.file, *b.cat);
  check_output_paths({{"--output", a.output.empty() ? sc->name + ".shrunk.schedule.json" : a.output}});
  const bool by_schedule = !a.schedule.empty();
  if (by_schedule == !a.flags.seed.empty())
    throw sim::input_error("", by_schedule ? "--schedule" : "--seed", "shrink needs exactly one of --seed S or --schedule FILE");
  if (by_schedule && (!a.flags.fixes.empty() || !a.flags.fix.empty()))
    throw sim::input_error("", "--schedule", "a schedule file fixes the fix setting; drop --fixes and --fix");
  sim::prepared_scenario prepared(*sc, b);
  sim::fix_setting setting;
  std::vector<sched::FiberId> decisions;
  uint64_t max_steps = sc->explore.max_steps;
  if (by_schedule) {
    const sim::schedule s = sim::load_schedule(a.schedule, *sc);
    setting = s.fixes;
    decisions = s.decisions;
    max_steps = std::max<uint64_t>(max_steps, decisions.size() + 1);
  } else {
    setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
    const sim::explore_settings s = settings_for(*sc, setting, a.flags);
    max_steps = s.max_steps;
    const sched::Execution ex = sim::replay_key(prepared, s, setting, parse_seed(a.flags.seed, "--seed"));
    if (sim::classify(ex.finding) != sim::outcome::violation) {
      fmt::print("nothing to shrink: execution {} ends {}{}\n", a.flags.seed, sched::to_string(ex.finding.kind),
                 ex.finding.message.empty() ? "" : ": " + ex.finding.message);
      return sim::classify(ex.finding) == sim::outcome::tool_error ? kToolError : kClean;
    }
    decisions = ex.decisions;
  }
  spdlog::debug("{}: shrinking execution {} ({} decisions)", sc->name, by_schedule ? a.schedule : a.flags.seed, decisions.size());
  std::optional<shrink_line> line(std::in_place, sc->name);
  const sim::shrink_result r = sim::shrink(prepared, decisions, {setting, max_steps, a.budget, a.seconds,
      [&](uint64_t n, uint64_t p, uint64_t st, const char* phase) { line->update(n, p, st, phase); }});
  line.reset();
  const sim::marked_execution m = sim::rerun_marked(prepared, setting, r.decisions, max_steps);
  const sched::Execution& shrunk = m.ex;
  const std::string output = a.output.empty() ? sc->name + ".shrunk.schedule.json" : a.output;
  save_schedule_file(output, sim::schedule_of(*sc, setting, shrunk, "shrink: " + sim::describe_shrink(r)));
  sim::explore_settings es = sc->explore;
  es.max_steps = max_steps;
  reports::diagram_options d;
  d.preemptions = m.preemptions;
  d.footer = false;
  fmt::print("{} ({}): fixes {}\n{}\nVIOLATION {}: {}\n\n{}\nschedule saved: {}\nreplay: fsrace replay {} --schedule {}\n"
             "   or: {}\n", sc->name, sc->file, setting.describe(), sim::describe_shrink(r), sched::to_string(shrunk.finding.kind),
             shrunk.finding.message, reports::render_diagram(shrunk, d), output, sc->file, output,
             sim::switches_replay_command(*sc, es, setting, sim::format_switches(m.switches)));
  if (r.interrupted) {  // Ctrl-C: the schedule saved is the smallest found so far
    fmt::print("INTERRUPTED (Ctrl-C) while shrinking: the schedule saved is the smallest so far (not proven minimal)\n");
    return kInterrupted;
  }
  return kViolation;
}

}  // namespace fsrace::cli
