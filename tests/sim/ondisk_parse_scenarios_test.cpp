// The on-disk readers over every scenario and soak workload: the images the export writes of the state
// after setup and at the end of the execution without preemptions (fixes on) parse back, block by block,
// and serialise to the same bytes (tests/model/ondisk_round_trip.hpp). No btrfs-progs needed: this runs
// everywhere, where the btrfs check tests may say SKIPPED.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "model/ondisk/image.hpp"
#include "sim/binding.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "sim/world_at_step.hpp"
#include "tests/model/ondisk_round_trip.hpp"

using namespace fsrace;

namespace {

std::vector<std::filesystem::path> scenario_files() {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path root = FSRACE_SOURCE_DIR "/scenarios";
  for (const auto& dir : {root, root / "soak"})
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".json" && e.path().filename() != "schema.json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("ondisk parse: every scenario's images after setup and after one execution round-trip", "[ondisk]") {
  size_t states = 0, blocks = 0;
  const auto files = scenario_files();
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    INFO(name);
    auto sc = sim::load_scenario(file.string(), *sim::default_binding().cat);
    sim::prepared_scenario prepared(*sc, sim::default_binding());
    const model::btrfs_fs_info* setup = prepared.base().fs();
    if (!setup) continue;  // a world without a filesystem (none in scenarios/ today)
    blocks += test::round_trip(*setup);
    ++states;
    const sim::world_snapshot end = sim::world_after_step(prepared, sim::fix_setting{true, {}}, {}, sc->explore.max_steps, std::nullopt);
    REQUIRE(end.state);
    INFO("end of the execution without preemptions: " << sched::to_string(end.ex.finding.kind) << " " << end.ex.finding.message);
    blocks += test::round_trip(*end.state->fs());
    ++states;
  }
  CHECK(states == 2 * files.size());
  CHECK(files.size() >= 28);
  CHECK(blocks > states);
}
