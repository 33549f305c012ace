#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/diagram.hpp"
#include "reports/write_atomic.hpp"
#include "sim/search/search.hpp"
#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/limits.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shard.hpp"
#include "sim/suite.hpp"
#include "sim/shrink.hpp"
#include "sim/state_dump.hpp"

namespace fsrace::cli {

void save_schedule_file(const std::string& path, const sim::schedule& s);

namespace {

// replay --until N: the steps before N, then the model's state there (the execution is re-run to step N).
int print_until(const sim::scenario& sc, const sim::prepared_scenario& prepared, const sim::fix_setting& setting,
                const sched::Execution& ex, const std::vector<uint64_t>& preemptions, const std::string& origin, uint64_t until) {
  if (sim::classify(ex.finding) == sim::outcome::divergence)
    throw sim::input_error("", "--until", "the replay diverged before step " + std::to_string(until) + ": " + ex.finding.message);
  if (until >= ex.trace.size())
    throw sim::input_error("", "--until", fmt::format("the execution has {} steps (0..{}); there is no step {}", ex.trace.size(),
                                                      ex.trace.size() ? ex.trace.size() - 1 : 0, until));
  const auto state = sim::state_before_step(prepared, setting, ex.decisions, ex.decisions.size() + 1, until);
  if (!state) throw sim::tool_error(fmt::format("replay --until {}: the re-run did not reach the step", until));
  sched::Execution before = ex;
  before.trace.resize(until);
  before.finding = {};
  reports::diagram_options d;
  d.preemptions = preemptions;
  fmt::print("{} ({}): fixes {}, {}, stopped before step {} of {}\n\n", sc.name, sc.file, setting.describe(), origin, until,
             ex.trace.size());
  if (until > 0) fmt::print("{}\n", reports::render_diagram(before, d));
  const auto& next = ex.trace[until];
  // A thread woken from a wait (a lock handed to it, an event it waited for) returns from it at its step:
  // its label is still the operation it waited in.
  const bool returns = state->woken.size() > next.fiber && state->woken[next.fiber];
  fmt::print("NEXT (step {}): {} {} {}\n\nmodel state before step {}:\n{}", until, ex.fiber_names.at(next.fiber),
             returns ? "returns from its wait in" : "is about to run", sched::format_label(next.label), until, state->text);
  return kClean;
}

// The exit code of a replayed execution: 0 clean, 1 violation, 2 divergence, 3 tool error.
int replay_exit_code(const sched::Execution& ex) {
  const sim::outcome o = sim::classify(ex.finding);
  return o == sim::outcome::clean ? kClean : o == sim::outcome::violation ? kViolation : o == sim::outcome::divergence ? kBadInput : kToolError;
}

// replay --footprints: each step's thread, label and recorded footprint, then the undeclared steps per
// thread and per label (what keeps DPOR from pruning).
int print_footprints(const sim::scenario& sc, const sim::prepared_scenario& prepared, const sim::fix_setting& setting,
                     const sched::Execution& replayed, const std::string& origin, bool json) {
  const sched::Execution ex =
      sim::rerun_footprints(prepared, setting, replayed.decisions, std::max<uint64_t>(replayed.decisions.size() + 1, sc.explore.max_steps));
  if (ex.footprints.size() != ex.trace.size()) throw sim::tool_error("replay --footprints: a step without its footprint");
  std::map<std::string, uint64_t> undeclared_by_label;  // ordered by label text: stable output
  std::vector<uint64_t> undeclared(ex.fiber_names.size(), 0), steps(ex.fiber_names.size(), 0);
  nlohmann::json rows = nlohmann::json::array();
  if (!json) fmt::print("{} ({}): fixes {}, {}, {} steps; what each step touched (W writes, R only reads)\n\n", sc.name, sc.file,
                        setting.describe(), origin, ex.steps);
  for (size_t i = 0; i < ex.trace.size(); ++i) {
    const auto& st = ex.trace[i];
    const std::string label = sched::format_label(st.label);
    const std::string touched = sched::describe(ex.footprints[i]);
    ++steps.at(st.fiber);
    if (ex.footprints[i].everything()) {
      ++undeclared.at(st.fiber);
      ++undeclared_by_label[label];
    }
    if (json) rows.push_back({{"thread", ex.fiber_names.at(st.fiber)}, {"label", label}, {"touched", touched}});
    else fmt::print("{:<6} {:<20} {:<60} {}\n", i, ex.fiber_names.at(st.fiber), label, touched);
  }
  if (json) {
    nlohmann::json by_thread = nlohmann::json::object();
    for (size_t f = 0; f < steps.size(); ++f)
      by_thread[ex.fiber_names[f]] = {{"steps", steps[f]}, {"undeclared", undeclared[f]}};
    fmt::print("{}\n", nlohmann::json{{"scenario", sc.name}, {"fixes", setting.describe()}, {"origin", origin}, {"steps", rows},
                                      {"threads", by_thread}, {"undeclared_by_label", undeclared_by_label}}
                           .dump(2));
    return replay_exit_code(ex);
  }
  fmt::print("\nundeclared steps (dependent on every step), by thread:\n");
  for (size_t f = 0; f < steps.size(); ++f) fmt::print("  {:<20} {} of {}\n", ex.fiber_names[f], undeclared[f], steps[f]);
  fmt::print("by the label that starts them:\n");
  for (const auto& [label, n] : undeclared_by_label) fmt::print("  {:>5}  {}\n", n, label);
  return replay_exit_code(ex);
}

}  // namespace

int cmd_replay(const replay_args& a) {
  const sim::binding& b = sim::default_binding();
  check_output_paths({{"--save-schedule", a.save_schedule}});
  auto sc = load_scenario_arg(a.file, *b.cat);
  check_execution_choice(a.choice, "replay");
  sim::prepared_scenario prepared(*sc, b);
  chosen_execution chosen = choose_execution(a.choice, *sc, prepared, "replay");
  sched::Execution& ex = chosen.ex;
  std::vector<uint64_t>& preemptions = chosen.preemptions;
  const sim::fix_setting& setting = chosen.setting;
  const std::string& origin = chosen.origin;
  const bool by_schedule = !a.choice.schedule.empty();
  if (preemptions.empty() && sim::classify(ex.finding) != sim::outcome::divergence)  // mark them: re-run by its decisions
    preemptions = sim::rerun_marked(prepared, setting, ex.decisions, std::max<uint64_t>(ex.decisions.size() + 1, sc->explore.max_steps)).preemptions;
  if (!a.save_schedule.empty()) save_schedule_file(a.save_schedule, sim::schedule_of(*sc, setting, ex, origin));
  if (a.until) return print_until(*sc, prepared, setting, ex, preemptions, origin, *a.until);
  if (a.footprints) return print_footprints(*sc, prepared, setting, ex, origin, a.json);
  const sim::outcome o = sim::classify(ex.finding);
  const int code = replay_exit_code(ex);
  if (a.json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& st : ex.trace) steps.push_back({{"thread", ex.fiber_names.at(st.fiber)}, {"label", sched::format_label(st.label)}});
    nlohmann::json j = {{"scenario", sc->name},
                        {"file", sc->file},
                        {"fixes", setting.describe()},
                        {"origin", origin},
                        {"steps", steps},
                        {"preemptions", ex.preemptions},
                        {"kind", sched::to_string(ex.finding.kind)},
                        {"message", ex.finding.message},
                        {"result", code == kClean ? "clean" : code == kViolation ? "violation" : code == kBadInput ? "divergence" : "tool-error"}};
    fmt::print("{}\n", j.dump(2));
    return code;
  }
  fmt::print("{} ({}): fixes {}, {}, {} steps, {} preemptions\n\n", sc->name, sc->file, setting.describe(), origin, ex.steps,
             ex.preemptions);
  reports::diagram_options d;
  d.max_steps = a.diagram_steps;
  d.preemptions = preemptions;
  d.footer = false;  // the finding is printed below
  fmt::print("{}\n", reports::render_diagram(ex, d));
  switch (o) {
    case sim::outcome::clean: fmt::print("clean: the execution ended without a finding\n"); break;
    case sim::outcome::violation: fmt::print("VIOLATION {}: {}\n", sched::to_string(ex.finding.kind), ex.finding.message); break;
    case sim::outcome::divergence:
      fmt::print(stderr, "fsrace: error: {}: {}\n", by_schedule ? a.choice.schedule : "replay", ex.finding.message);
      break;
    case sim::outcome::tool_error:
      fmt::print("TOOL ERROR (a bug in fsrace or its model, not a race): {}\n", ex.finding.message);
      break;
  }
  return code;
}

}  // namespace fsrace::cli
