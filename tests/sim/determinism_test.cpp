// Determinism is checked, not assumed: the same exploration run twice, and on one or two threads, gives
// the same JSON result byte for byte (timings aside); the first violation of each seed scenario has the
// same trace (hash of every step's thread and label) in every run, on every machine. A change of the
// model's scheduling points moves these hashes: record them again (the failure message prints them) and
// say why in the commit message.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "tests/reports/process.hpp"

using namespace fsrace;

namespace {

const std::filesystem::path kScenarios = std::filesystem::path(FSRACE_SOURCE_DIR) / "scenarios";

// Removes the timings ("seconds", ...), the only parts allowed to differ (the peak model bytes are counted
// by the model and must match too).
void strip_timings(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it.key().find("second") != std::string::npos) it = j.erase(it);
      else strip_timings(*it++);
    }
  } else if (j.is_array()) {
    for (auto& x : j) strip_timings(x);
  }
}

nlohmann::json explore_json(const std::string& args) {
  const auto r = test::run_shell(test::fsrace_cmd("explore " + args + " --json"));
  REQUIRE((r.code == 0 || r.code == 1));
  auto j = nlohmann::json::parse(r.out);
  strip_timings(j);
  return j;
}

}  // namespace

TEST_CASE("determinism: the same exploration twice, and on 1 or 2 threads, gives the same JSON") {
  const std::string scrub = "'" + (kScenarios / "scrub-vs-bg-deletion.json").string() + "'";
  const std::string releasepage = "'" + (kScenarios / "releasepage-vs-eb-readahead.json").string() + "'";
  for (const std::string& args : {scrub + " --fixes off --strategy pct --runs 600 --keep-going --no-shrink",
                                 scrub + " --fixes off --strategy random --runs 600 --keep-going --no-shrink",
                                 releasepage + " --fixes on --strategy dfs --preemptions 2 --runs 5000"}) {
    INFO(args);
    const nlohmann::json once = explore_json(args + " --jobs 1");
    CHECK(once.at("executions").get<uint64_t>() > 0);
    CHECK(explore_json(args + " --jobs 1").dump() == once.dump());
    CHECK(explore_json(args + " --jobs 2").dump() == once.dump());
  }
}
