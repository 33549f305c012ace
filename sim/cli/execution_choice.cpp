// The one execution `replay` and `export` re-run, chosen by --seed (with the exploration flags and
// --shard), --schedule FILE or --switches LIST: one parser and one set of rules for both commands.
#include <cstdlib>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/schedule_file.hpp"
#include "sim/search/search.hpp"
#include "sim/shard.hpp"
#include "sim/shrink.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

void check_execution_choice(const execution_choice& a, const std::string& command) {
  const bool by_schedule = !a.schedule.empty(), by_switches = a.switches.has_value();
  if (by_schedule + by_switches + !a.flags.seed.empty() > 1)
    throw sim::input_error("", by_schedule ? "--schedule" : "--switches", "give one of --seed, --schedule or --switches");
  if (!by_schedule && !by_switches && a.flags.seed.empty())
    throw sim::input_error("", "--seed", command + " needs --seed S (the execution seed, or the DFS index), --schedule FILE or --switches LIST");
  if (by_switches && (!a.flags.strategy.empty() || a.flags.depth || a.flags.preemptions || a.flags.runs || !a.shard.empty()))
    throw sim::input_error("", "--switches", "switches give every decision; drop --strategy, --depth, --preemptions, --runs and --shard");
  if (by_schedule && (!a.flags.fixes.empty() || !a.flags.fix.empty() || !a.flags.strategy.empty() || a.flags.depth ||
                      a.flags.preemptions || a.flags.runs))
    throw sim::input_error("", "--schedule", "a schedule file fixes the fix setting and the decisions; drop --fixes, --fix, "
                                             "--strategy, --depth, --preemptions and --runs");
}

chosen_execution choose_execution(const execution_choice& a, const sim::scenario& sc, const sim::prepared_scenario& prepared,
                                  const std::string& command) {
  check_execution_choice(a, command);
  chosen_execution c;
  if (!a.schedule.empty()) {
    const sim::schedule s = sim::load_schedule(a.schedule, sc);
    c.setting = s.fixes;
    const uint64_t max_steps = a.flags.max_steps ? *a.flags.max_steps : std::max<uint64_t>(sc.explore.max_steps, s.decisions.size() + 1);
    c.ex = sim::replay_schedule(prepared, s, max_steps);
    c.origin = fmt::format("schedule {}", a.schedule);
  } else if (a.switches) {
    c.setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
    const sim::explore_settings s = settings_for(sc, c.setting, a.flags);
    sim::marked_execution m = sim::run_switches(prepared, c.setting, sim::parse_switches(*a.switches, "--switches"), s.max_steps);
    c.ex = std::move(m.ex);
    c.preemptions = std::move(m.preemptions);
    c.origin = fmt::format("switches {}", a.switches->empty() ? "(none)" : *a.switches);
  } else {
    c.setting = parse_fix_flags(a.flags.fixes, a.flags.fix, sim::fix_setting{false, {}});
    const sim::explore_settings s = settings_for(sc, c.setting, a.flags);
    const uint64_t key = parse_seed(a.flags.seed, "--seed");
    sim::dfs_part part;  // --shard: the execution numbered within that shard of a split DFS or DPOR
    if (!a.shard.empty()) {
      if (sim::search_of(s.strategy).divides == sim::division::seeds)
        throw sim::input_error("", "--shard", "only dfs and dpor number executions within a shard; random and pct seeds replay as they are");
      const sim::shard_spec shard = sim::parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
      part = {shard.index, shard.count};
    }
    c.ex = sim::replay_key(prepared, s, c.setting, key, part);
    c.origin = fmt::format("{} seed {}", sim::describe_strategy(s), key);
  }
  return c;
}

}  // namespace fsrace::cli
