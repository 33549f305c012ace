// fsrace export SCENARIO -o DIR: the committed state after the scenario's setup, or after an execution
// (--seed / --schedule / --switches as replay chooses it; --until N: after its step N), as btrfs image
// files DIR/<n>.img for the n-th device (devid order), each as large as the device; for btrfs check and
// btrfs inspect-internal. Serialisation runs here only, never while exploring.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/ondisk/image.hpp"
#include "reports/write_atomic.hpp"
#include "sim/bench_scheduler.hpp"
#include "sim/cli/commands.hpp"
#include "sim/image_files.hpp"
#include "sim/prepared.hpp"
#include "sim/world_at_step.hpp"

namespace fsrace::cli {
namespace {

// DIR itself: created when absent (one level), else it must be a directory (lstat: not a symlink).
void prepare_output_dir(const std::string& dir) {
  if (dir.empty()) throw sim::input_error("", "-o", "an empty output directory; expected a directory name");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw sim::input_error("", "-o", fmt::format("{} exists and is not a directory; expected a directory for the images", dir));
    return;
  }
  if (errno != ENOENT || ::mkdir(dir.c_str(), 0755) != 0)
    throw sim::input_error("", "-o", fmt::format("cannot create the directory {}: {}", dir, std::strerror(errno)));
}

// The state of the chosen execution to export (after step `until`, or at its end) and what it is, for people.
struct execution_state {
  std::unique_ptr<sim::world> world;
  std::string what;
};

execution_state run_chosen(const export_args& a, const sim::scenario& sc, const sim::prepared_scenario& prepared) {
  const chosen_execution c = choose_execution(a.choice, sc, prepared, "export");
  const sched::Execution& ex = c.ex;
  if (sim::classify(ex.finding) == sim::outcome::divergence)
    throw sim::input_error(a.choice.schedule.empty() ? "" : a.choice.schedule, a.choice.schedule.empty() ? "--seed" : "",
                           "the replay diverged: " + ex.finding.message);
  if (a.until && *a.until >= ex.trace.size())
    throw sim::input_error("", "--until", fmt::format("the execution has {} steps (0..{}); there is no step {}", ex.trace.size(),
                                                      ex.trace.size() ? ex.trace.size() - 1 : 0, *a.until));
  const uint64_t max_steps = std::max<uint64_t>(ex.decisions.size() + 1, sc.explore.max_steps);
  sim::world_snapshot snap = sim::world_after_step(prepared, c.setting, ex.decisions, max_steps, a.until);
  if (!snap.state || snap.ex.trace.size() != ex.trace.size() || snap.ex.finding.kind != ex.finding.kind)
    throw sim::tool_error(fmt::format("export: the re-run of {} did not repeat the execution ({} steps, {}; first run {} steps, {})",
                                      c.origin, snap.ex.trace.size(), sched::to_string(snap.ex.finding.kind), ex.trace.size(),
                                      sched::to_string(ex.finding.kind)));
  std::string end;
  switch (sim::classify(ex.finding)) {
    case sim::outcome::clean: end = "it ended clean"; break;
    case sim::outcome::violation: end = fmt::format("it ended with VIOLATION {}: {}", sched::to_string(ex.finding.kind), ex.finding.message); break;
    default: end = fmt::format("it ended with TOOL ERROR: {}", ex.finding.message); break;
  }
  const std::string where = a.until ? fmt::format("after step {} of {}", *a.until, ex.trace.size()) : fmt::format("at the end ({} steps)", ex.trace.size());
  return {std::move(snap.state), fmt::format("the committed state {} of fixes {}, {}; {}", where, c.setting.describe(), c.origin, end)};
}

}  // namespace

int cmd_export(const export_args& a) {
  const sim::binding& b = sim::default_binding();
  auto sc = load_scenario_arg(a.file, *b.cat);
  if (a.choice.given()) check_execution_choice(a.choice, "export");
  else if (a.until) throw sim::input_error("", "--until", "--until N stops an execution: give it with --seed S, --schedule FILE or --switches LIST");
  else if (a.choice.flags.strategy.size() || a.choice.flags.depth || a.choice.flags.preemptions || a.choice.flags.runs ||
           a.choice.flags.max_steps || !a.choice.flags.fixes.empty() || !a.choice.flags.fix.empty() || !a.choice.shard.empty())
    throw sim::input_error("", "--seed", "without --seed, --schedule or --switches export writes the state after setup, which no "
                                         "exploration flag changes; give the execution to export");
  prepare_output_dir(a.dir);
  const double cpu0 = sim::bench::process_cpu_seconds();
  sim::prepared_scenario prepared(*sc, b);
  execution_state chosen;
  if (a.choice.given()) chosen = run_chosen(a, *sc, prepared);
  const model::btrfs_fs_info* fs = chosen.world ? chosen.world->fs() : prepared.base().fs();
  if (!fs) throw sim::tool_error("export: the scenario's world has no filesystem");
  const std::string what = chosen.world ? chosen.what : "the committed state after setup";
  try {
    model::ondisk::check_exportable(*fs);
  } catch (const model::ondisk::unsupported& e) {
    throw sim::input_error(a.file, "", fmt::format("cannot export this state yet: {} ({})", e.what(), what));
  } catch (const std::logic_error& e) {
    throw sim::tool_error(fmt::format("export: {} ({})", e.what(), what));
  }
  std::vector<std::pair<std::string, std::string>> outputs;
  std::vector<uint64_t> devids;
  for (const auto& [devid, d] : fs->devices) {
    outputs.push_back({"-o", fmt::format("{}/{}.img", a.dir, devids.size())});
    devids.push_back(devid);
  }
  check_output_paths(outputs);
  const double cpu1 = sim::bench::process_cpu_seconds();
  for (size_t i = 0; i < devids.size(); ++i) {
    try {
      sim::write_device_image_file(outputs[i].second, *fs, devids[i]);
    } catch (const model::ondisk::unsupported& e) {
      throw sim::input_error(a.file, "", fmt::format("cannot export this state yet: {}", e.what()));
    } catch (const reports::output_path_error& e) {
      throw sim::input_error("", "-o", e.what());
    } catch (const std::logic_error& e) {
      throw sim::tool_error(fmt::format("export: {}", e.what()));
    } catch (const std::runtime_error& e) {
      throw sim::input_error("", "-o", e.what());
    }
    fmt::print("{}: devid {}, {} bytes\n", outputs[i].second, devids[i], fs->devices.at(devids[i])->total_bytes);
  }
  const double cpu2 = sim::bench::process_cpu_seconds();
  fmt::print("{}: {} (generation {}), {} image{}; CPU {:.3f} s setup{}, {:.3f} s export\n", sc->name, what, fs->generation,
             devids.size(), devids.size() == 1 ? "" : "s", cpu1 - cpu0, chosen.world ? " and execution" : "", cpu2 - cpu1);
  return kClean;
}

}  // namespace fsrace::cli
