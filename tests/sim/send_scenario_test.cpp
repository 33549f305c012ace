// scenarios/send-vs-relocation.json (seed 002, 9e967495e0e0) through the scenario language: the
// expectations of the file (fixes off: send -EIO with "parent transid verify failed" found by PCT;
// 9e967495e0e0, the EXCL_OP alternative, 1cea5cf0e664 and d96b34248c2f each clean), the replay of
// the seed PCT found, bounded DFS with the fix, and the file used as a template (full send, more
// files, two writers).
//
// The fix-on cases are [!mayfail] until the model core unpins per transaction: btrfs_finish_extent_commit
// of transaction T unpins the extents the next transaction pinned meanwhile (fs_info.pinned_extents is
// one map), so a block of the current commit root is reallocated and relocation's commit-root search
// fails with -EIO ("balance returned -EIO"), whatever the send fixes.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

const std::string kFile =
    (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "scenarios" / "send-vs-relocation.json")
        .string();

constexpr const char* kSymptom = "parent transid verify failed";

struct loaded {
  std::unique_ptr<sim::scenario> sc;
  std::unique_ptr<sim::prepared_scenario> prepared;
};

loaded load(const json* doc = nullptr) {
  loaded l;
  l.sc = doc ? sim::parse_scenario(*doc, "send-vs-relocation-variant.json", *sim::default_binding().cat)
             : sim::load_scenario(kFile, *sim::default_binding().cat);
  l.prepared = std::make_unique<sim::prepared_scenario>(*l.sc, sim::default_binding());
  return l;
}

json file_json() {
  std::ifstream in(kFile);
  return json::parse(in);
}

sim::fix_setting fixes(bool on, std::vector<std::pair<std::string, bool>> overrides = {}) {
  sim::fix_setting f;
  f.on = on;
  f.overrides = std::move(overrides);
  return f;
}

// PCT with the scenario's default settings (at most `runs` executions) until the first violation, or
// with `prefix` until the first violation whose message starts with it (others are kept, not stopped at).
sim::exploration pct(const loaded& l, const sim::fix_setting& f, uint64_t runs, const std::string& prefix = "") {
  sim::explore_request req;
  req.settings = l.sc->explore;
  req.settings.runs = runs;
  req.fixes = f;
  req.max_violations = prefix.empty() ? 1 : 0;
  if (!prefix.empty()) req.wanted = [prefix](const sched::Finding& f) { return f.message.rfind(prefix, 0) == 0; };
  return sim::explore(*l.prepared, req);
}

// The first violation whose message starts with `prefix`, or null.
const sim::violation_record* first_with(const sim::exploration& e, const std::string& prefix) {
  for (const auto& v : e.violations)
    if (v.finding.message.rfind(prefix, 0) == 0) return &v;
  return nullptr;
}

}  // namespace

TEST_CASE("send-vs-relocation: fixes off PCT finds send -EIO with parent transid verify failed and its seed replays",
          "[sim][send]") {
  loaded l = load();
  REQUIRE(l.sc->expectations.size() == 6);
  const sim::expectation& off = l.sc->expectations[0];
  REQUIRE_FALSE(off.fixes.on);
  REQUIRE(off.explore.strategy == sim::strategy_kind::pct);
  const reports::case_result r = sim::check_expectation(*l.prepared, off);
  INFO(r.reason);
  REQUIRE(r.result == reports::case_result::status::pass);
  REQUIRE(r.violations.size() == 1);
  const reports::violation_entry& v = r.violations[0];
  CHECK(v.kind == "violation");
  CHECK(v.message.find("send_incremental returned -EIO (-5) to user space (thread send, /threads/0/ops/0)") == 0);
  CHECK(v.message.find(kSymptom) != std::string::npos);
  CHECK(v.execution < off.explore.runs);  // within the default budget

  const sched::Execution again = sim::replay_key(*l.prepared, off.explore, off.fixes, v.seed);
  CHECK(sched::to_string(again.finding.kind) == v.kind);
  CHECK(again.finding.message == v.message);
}

TEST_CASE("send-vs-relocation: each fix alone is clean under the file's explorations", "[sim][send][!mayfail]") {
  loaded l = load();
  for (size_t i = 1; i < l.sc->expectations.size(); ++i) {
    const sim::expectation& e = l.sc->expectations[i];
    INFO(e.path << " fixes " << e.fixes.describe());
    REQUIRE_FALSE(e.violation);
    const reports::case_result r = sim::check_expectation(*l.prepared, e);
    INFO(r.reason);
    CHECK(r.result == reports::case_result::status::pass);
    CHECK(r.executions == e.explore.runs);  // 10,000 PCT runs; DFS 5,000 schedules (bound 1, not exhausted)
  }
}

TEST_CASE("send-vs-relocation: turning off only 9e967495e0e0 brings the race back", "[sim][send]") {
  // The scenario's base is 5.2: "on" is 5.2 plus 9e967495e0e0. Everything else as "on", the fix off:
  loaded l = load();
  const sim::exploration e = pct(l, fixes(true, {{"9e967495e0e0", false}}), 20000, "send_incremental returned -EIO");
  const sim::violation_record* v = first_with(e, "send_incremental returned -EIO");
  REQUIRE(v);
  CHECK(v->finding.message.find(kSymptom) != std::string::npos);
}

TEST_CASE("send-vs-relocation as a template: full send with more files and two writers", "[sim][send]") {
  json doc = file_json();
  // 16 files instead of 12 (the setup's first ops create them), a full send of s1, two writers.
  json& setup = doc["filesystem"]["setup"];
  for (int i = 12; i < 16; ++i)
    setup.insert(setup.begin() + i, json{{"op", "create_file"}, {"file", "f" + std::to_string(i)}, {"size", "4KiB"},
                                        {"seed", i + 1}});
  doc["threads"][0]["ops"][0] = json{{"op", "send"}, {"snapshot", "s1"}, {"stream", "s1-full"}};
  doc["threads"][0]["ops"][1]["stream"] = "s1-full";
  doc["threads"][2]["count"] = 2;
  loaded l = load(&doc);
  REQUIRE(l.sc->threads.size() == 4);
  const sim::exploration off = pct(l, fixes(false), 40000, "send returned -E");
  const sim::violation_record* v = first_with(off, "send returned -E");
  REQUIRE(v);
  CHECK(v->finding.message.find("(thread send, /threads/0/ops/0): BTRFS ") != std::string::npos);
}

TEST_CASE("send-vs-relocation as a template: the variant is clean with 9e967495e0e0", "[sim][send][!mayfail]") {
  json doc = file_json();
  doc["threads"][0]["ops"][0] = json{{"op", "send"}, {"snapshot", "s1"}, {"stream", "s1-full"}};
  doc["threads"][0]["ops"][1]["stream"] = "s1-full";
  doc["threads"][2]["count"] = 2;
  loaded l = load(&doc);
  const sim::exploration on = pct(l, fixes(true), 2000);
  CHECK(on.violations.empty());
  CHECK_FALSE(on.tool_error);
  CHECK(on.executions == 2000);
}
