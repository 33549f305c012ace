#include <cstdlib>

#include <fmt/format.h>

#include "reports/diagram.hpp"
#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/limits.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shard.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

void save_schedule_file(const std::string& path, const sim::schedule& s);

int cmd_replay(const replay_args& a) {
  const sim::binding& b = sim::default_binding();
  check_output_paths({{"--save-schedule", a.save_schedule}});
  auto sc = sim::load_scenario(a.file, *b.cat);
  const bool by_schedule = !a.schedule.empty();
  if (by_schedule && !a.flags.seed.empty())
    throw sim::input_error("", "--schedule", "give either --seed or --schedule, not both");
  if (!by_schedule && a.flags.seed.empty())
    throw sim::input_error("", "--seed", "replay needs --seed S (the execution seed, or the DFS index) or --schedule FILE");
  if (by_schedule && (!a.flags.fixes.empty() || !a.flags.fix.empty() || !a.flags.strategy.empty() || !a.flags.depth.empty() ||
                      !a.flags.preemptions.empty() || !a.flags.runs.empty()))
    throw sim::input_error("", "--schedule", "a schedule file fixes the fix setting and the decisions; drop --fixes, --fix, "
                                             "--strategy, --depth, --preemptions and --runs");
  sim::prepared_scenario prepared(*sc, b);
  sched::Execution ex;
  sim::fix_setting setting;
  std::string origin;
  if (by_schedule) {
    const sim::schedule s = sim::load_schedule(a.schedule, *sc);
    setting = s.fixes;
    const uint64_t max_steps = a.flags.max_steps.empty()
                                   ? std::max<uint64_t>(sc->explore.max_steps, s.decisions.size() + 1)
                                   : parse_uint(a.flags.max_steps, "--max-steps", 1, sim::limits::kMaxSteps);
    ex = sim::replay_schedule(prepared, s, max_steps);
    origin = fmt::format("schedule {}", a.schedule);
  } else {
    setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
    const sim::explore_settings s = settings_for(*sc, setting, a.flags);
    const uint64_t key = parse_seed(a.flags.seed, "--seed");
    sim::dfs_part part;  // --shard: the execution numbered within that shard of a split DFS
    if (!a.shard.empty()) {
      if (s.strategy != sim::strategy_kind::dfs)
        throw sim::input_error("", "--shard", "only dfs numbers executions within a shard; random and pct seeds replay as they are");
      const sim::shard_spec shard = sim::parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
      part = {shard.index, shard.count};
    }
    ex = sim::replay_key(prepared, s, setting, key, part);
    origin = fmt::format("{} seed {}", sim::describe_strategy(s), key);
  }
  if (!a.save_schedule.empty()) save_schedule_file(a.save_schedule, sim::schedule_of(*sc, setting, ex, origin));
  const sim::outcome o = sim::classify(ex.finding);
  const int code = o == sim::outcome::clean ? kClean
                   : o == sim::outcome::violation ? kViolation
                   : o == sim::outcome::divergence ? kBadInput
                                                    : kToolError;
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
  fmt::print("{}\n", reports::render_diagram(ex));
  switch (o) {
    case sim::outcome::clean: fmt::print("clean: the execution ended without a finding\n"); break;
    case sim::outcome::violation: fmt::print("VIOLATION {}: {}\n", sched::to_string(ex.finding.kind), ex.finding.message); break;
    case sim::outcome::divergence:
      fmt::print(stderr, "fsrace: error: {}: {}\n", by_schedule ? a.schedule : "replay", ex.finding.message);
      break;
    case sim::outcome::tool_error:
      fmt::print("TOOL ERROR (a bug in fsrace or its model, not a race): {}\n", ex.finding.message);
      break;
  }
  return code;
}

}  // namespace fsrace::cli
