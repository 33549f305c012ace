#include <fmt/format.h>

#include "reports/diagram.hpp"
#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shrink.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

void save_schedule_file(const std::string& path, const sim::schedule& s);

/// "shrunk from 5 preemptions, 240 steps to 2 preemptions, 31 steps in 812 executions (fewest preemptions proven)".
std::string describe_shrink(const sim::shrink_result& r) {
  return fmt::format("shrunk from {} preemption{}, {} steps to {} preemption{}, {} steps in {} executions ({})",
                     r.original_preemptions, r.original_preemptions == 1 ? "" : "s", r.original_steps, r.preemptions,
                     r.preemptions == 1 ? "" : "s", r.steps, r.executions,
                     r.preemptions_minimal ? (r.steps_minimal ? "fewest preemptions and steps proven"
                                                              : "fewest preemptions proven")
                                           : "not proven minimal within the budget");
}

int cmd_shrink(const shrink_args& a) {
  const sim::binding& b = sim::default_binding();
  auto sc = sim::load_scenario(a.file, *b.cat);
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
  const sim::shrink_result r = sim::shrink(prepared, decisions, {setting, max_steps, a.budget});
  const sched::Execution shrunk = sim::rerun(prepared, setting, r.decisions, max_steps);
  const std::string output = a.output.empty() ? sc->name + ".shrunk.schedule.json" : a.output;
  save_schedule_file(output, sim::schedule_of(*sc, setting, shrunk, "shrink: " + describe_shrink(r)));
  fmt::print("{} ({}): fixes {}\n{}\n\n{}\nVIOLATION {}: {}\n\nschedule saved: {}\nreplay: fsrace replay {} --schedule {}\n", sc->name,
             sc->file, setting.describe(), describe_shrink(r), reports::render_diagram(shrunk),
             sched::to_string(shrunk.finding.kind), shrunk.finding.message, output, sc->file, output);
  return kViolation;
}

}  // namespace fsrace::cli
