// The seed scenarios work as templates (issue #5): a copy with other sizes, file counts, offsets or
// more threads still shows the documented failure with the fixes off and stays clean with them on.
// Each variation is a JSON edit of the scenario file, loaded through the normal validation, so what
// is tested is exactly what a user who copies a seed scenario and edits it would get.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

const std::filesystem::path kScenarios =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "scenarios";

struct variation {
  const char* what;
  std::function<void(json&)> edit;
};

json& thread_named(json& doc, const std::string& name) {
  for (auto& t : doc["threads"])
    if (t["name"] == name) return t;
  FAIL("no thread " << name);
  throw std::logic_error("unreachable");
}

// The documented failure: the first "off" expectation without per-fix overrides.
const sim::expectation& documented(const sim::scenario& sc) {
  for (const auto& ex : sc.expectations)
    if (!ex.fixes.on && ex.fixes.overrides.empty() && ex.violation) return ex;
  FAIL("scenario " << sc.name << " documents no failure");
  throw std::logic_error("unreachable");
}

bool matches(const sim::expectation& off, const sched::Finding& f) {
  if (off.kind && f.kind != *off.kind) return false;
  return off.message_contains.empty() || f.message.find(off.message_contains) != std::string::npos;
}

// Fixes off: found by `off_settings` and it is the documented failure. Fixes on: `on_runs` PCT runs clean.
void check_variation(const std::string& name, const variation& v, sim::explore_settings off_settings,
                     uint64_t on_runs) {
  json doc = sim::read_json_file((kScenarios / (name + ".json")).string());
  v.edit(doc);
  INFO(name << " varied: " << v.what);
  auto sc = sim::parse_scenario(doc, name + " (" + v.what + ")", *sim::default_binding().cat);
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  const sim::expectation& off = documented(*sc);

  sim::explore_request req;
  req.settings = off_settings;
  req.fixes.on = false;
  req.wanted = [&](const sched::Finding& f) { return matches(off, f); };
  req.max_violations = 8;
  const sim::exploration found = sim::explore(prepared, req);
  REQUIRE_FALSE(found.tool_error);
  bool documented_found = false;
  for (const auto& viol : found.violations) {
    INFO("violation: " << viol.finding.message);
    documented_found |= matches(off, viol.finding);
  }
  INFO("fixes off: " << found.executions << " executions, " << found.violations.size() << " distinct violations");
  CHECK(documented_found);

  sim::explore_request on;
  on.settings.strategy = sim::strategy_kind::pct;
  on.settings.runs = on_runs;
  on.settings.depth = 3;
  on.settings.seed = 7;
  on.fixes.on = true;
  const sim::exploration clean = sim::explore(prepared, on);
  REQUIRE_FALSE(clean.tool_error);
  for (const auto& viol : clean.violations) INFO("fixes on violation: " << viol.finding.message);
  CHECK(clean.violations.empty());
  CHECK(clean.executions == on_runs);
}

sim::explore_settings pct(uint64_t runs) {
  sim::explore_settings s;
  s.strategy = sim::strategy_kind::pct;
  s.runs = runs;
  s.depth = 3;
  s.seed = 1;
  return s;
}

sim::explore_settings dfs(uint32_t preemptions, uint64_t runs) {
  sim::explore_settings s;
  s.strategy = sim::strategy_kind::dfs;
  s.preemptions = preemptions;
  s.runs = runs;
  return s;
}

// Variations shared by the two relocation races: the nodatacow or plain file, its size, the write's
// place and length, a second writer, a larger device.
std::vector<variation> relocation_variations() {
  return {
      {"a 256KiB file written at 64KiB for 8KiB",
       [](json& d) {
         d["filesystem"]["setup"][0]["size"] = "256KiB";
         auto& w = thread_named(d, "dio")["ops"][0];
         w["offset"] = "64KiB";
         w["length"] = "8KiB";
       }},
      {"two direct IO writers",
       [](json& d) {
         json second = thread_named(d, "dio");
         second["name"] = "dio2";
         second["ops"][0]["offset"] = "32KiB";
         second["ops"][0]["seed"] = 3;
         d["threads"].push_back(second);
       }},
      {"a 2GiB device", [](json& d) { d["filesystem"]["devices"] = json::array({"2GiB"}); }},
      // Scaled (issue 11): a 1MiB file written in its middle for 64KiB, and raid1 on two devices.
      {"a 1MiB file written at 512KiB for 64KiB",
       [](json& d) {
         d["filesystem"]["setup"][0]["size"] = "1MiB";
         auto& w = thread_named(d, "dio")["ops"][0];
         w["offset"] = "512KiB";
         w["length"] = "64KiB";
       }},
      {"raid1 data and metadata on two devices",
       [](json& d) {
         d["filesystem"]["devices"] = json::array({"1GiB", "1GiB"});
         d["filesystem"]["profiles"] = json{{"data", "raid1"}, {"metadata", "raid1"}, {"system", "raid1"}};
       }},
  };
}

}  // namespace

TEST_CASE("template: scrub-vs-bg-deletion with other sizes and more empty groups", "[sim][template]") {
  const std::vector<variation> vs = {
      {"2GiB devices", [](json& d) { d["filesystem"]["devices"] = json::array({"2GiB", "2GiB", "2GiB"}); }},
      {"two extra data chunks", [](json& d) { d["filesystem"]["setup"][0]["count"] = 2; }},
      {"two cleaner passes",
       [](json& d) { thread_named(d, "cleaner")["ops"].push_back(json{{"op", "delete_unused_bgs"}}); }},
  };
  for (const auto& v : vs) check_variation("scrub-vs-bg-deletion", v, pct(2000), 1000);
}

TEST_CASE("template: relocation-vs-nocow-write with other files and writers", "[sim][template]") {
  for (const auto& v : relocation_variations()) check_variation("relocation-vs-nocow-write", v, pct(10000), 300);
}

TEST_CASE("template: relocation-vs-dio-reserve with other files and writers", "[sim][template]") {
  for (const auto& v : relocation_variations()) check_variation("relocation-vs-dio-reserve", v, pct(10000), 300);
}

TEST_CASE("template: releasepage-vs-eb-readahead on another tree and device", "[sim][template]") {
  const std::vector<variation> vs = {
      {"a 512MiB device", [](json& d) { d["filesystem"]["devices"] = json::array({"512MiB"}); }},
      {"the root tree's root leaf",
       [](json& d) {
         d["filesystem"]["setup"][0]["tree"] = "root";
         for (auto& t : d["threads"]) t["ops"][0]["tree"] = "root";
       }},
  };
  for (const auto& v : vs) check_variation("releasepage-vs-eb-readahead", v, dfs(4, 400000), 300);
}
