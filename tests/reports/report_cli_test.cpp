// `fsrace report` and --html on run and explore, as processes: pages written from each kind of result,
// the same page whichever way it is made, and bad input named with file and JSON path (exit 2).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/reports/process.hpp"

using namespace fsrace::test;

namespace {

// A core-only scenario (no filesystem, fast) whose threads deadlock under some interleavings.
void write_deadlock_scenario() {
  std::ofstream(scratch_dir() / "deadlock.json") << R"({"name": "deadlock", "title": "two threads wait for each other",
  "filesystem": {"devices": ["1GiB"]},
  "threads": [{"name": "a", "ops": [{"op": "wait", "event": "b_go"}, {"op": "signal", "event": "a_go"}]},
              {"name": "b", "ops": [{"op": "wait", "event": "a_go"}, {"op": "signal", "event": "b_go"}]}],
  "fixes": ["020d5b7366fc"], "invariants": ["user_errors"],
  "explore": {"strategy": "random", "runs": 50, "seed": 5},
  "expectations": [{"fixes": "off", "result": "violation", "kind": "deadlock"}, {"fixes": "on", "result": "clean"}]})";
}

// The page without its "from ..." line, which names how it was made.
std::string without_origin(std::string html) {
  const size_t at = html.find("<p class=\"sources\">");
  REQUIRE(at != std::string::npos);
  return html.erase(at, html.find("</p>", at) + 4 - at);
}

void write(const std::string& name, const std::string& text) { std::ofstream(scratch_dir() / name) << text; }

}  // namespace

TEST_CASE("report renders run and explore results and equals the page run --html writes") {
  write_deadlock_scenario();
  auto r = run_shell(fsrace_cmd("run deadlock.json --json run.json --html run.html"));
  REQUIRE(r.code == 1);  // the "on" expectation fails: the deadlock does not depend on the fix
  const std::string direct = slurp(scratch_dir() / "run.html");
  CHECK_THAT(direct, Catch::Contains("<tr class=\"case pass\" data-section=\"case-0\">"));
  CHECK_THAT(direct, Catch::Contains("<tr class=\"case fail problem\" data-section=\"case-1\">"));
  CHECK_THAT(direct, Catch::Contains("<th class=\"lane t0\">a</th><th class=\"lane t1\">b</th>"));
  CHECK_THAT(direct, Catch::Contains("the execution ended: deadlock: "));

  r = run_shell(fsrace_cmd("report run.json --html report.html"));
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 cases: 1 passed, 1 failed"));
  const std::string rendered = slurp(scratch_dir() / "report.html");
  CHECK_THAT(rendered, Catch::Contains("<p class=\"sources\">from run.json</p>"));
  CHECK(without_origin(rendered) == without_origin(direct));

  r = run_shell(fsrace_cmd("explore deadlock.json --json --html explore.html > explore.json"));
  REQUIRE(r.code == 1);
  const auto j = nlohmann::json::parse(slurp(scratch_dir() / "explore.json"));
  REQUIRE(j["violations"][0].contains("trace"));
  CHECK(j["violations"][0]["trace"]["threads"] == nlohmann::json({"a", "b"}));
  CHECK_THAT(j["violations"][0]["trace"]["note"].get<std::string>(), Catch::StartsWith("Drawn shrunk from "));
  const std::string explore_page = slurp(scratch_dir() / "explore.html");
  CHECK_THAT(explore_page, Catch::Contains("<tr class=\"case found problem\" data-section=\"case-0\">"));
  CHECK_THAT(explore_page, Catch::Contains("fsrace replay deadlock.json --seed "));

  // Several files make one page: the suite's cases, then the exploration.
  r = run_shell(fsrace_cmd("report run.json explore.json --html both.html"));
  REQUIRE(r.code == 0);
  const std::string both = slurp(scratch_dir() / "both.html");
  CHECK_THAT(both, Catch::Contains("data-section=\"case-2\""));
  CHECK_THAT(both, Catch::Contains("<p class=\"sources\">from run.json, explore.json</p>"));
  size_t rows = 0;
  for (size_t at = both.find("<tr class=\"case "); at != std::string::npos; at = both.find("<tr class=\"case ", at + 1)) ++rows;
  CHECK(rows == 3);
  // The same inputs give the same bytes.
  REQUIRE(run_shell(fsrace_cmd("report run.json explore.json --html again.html")).code == 0);
  CHECK(slurp(scratch_dir() / "again.html") == both);
}

TEST_CASE("report rejects what is not a result with the file and JSON path and exit 2") {
  write_deadlock_scenario();
  REQUIRE(run_shell(fsrace_cmd("run deadlock.json --json good.json")).code == 1);
  auto good = nlohmann::json::parse(slurp(scratch_dir() / "good.json"));
  REQUIRE(good["cases"][0]["violations"][0].contains("trace"));

  auto r = run_shell(fsrace_cmd("report missing.json --html x.html"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("fsrace: error: missing.json: cannot open the file for reading"));

  write("text.json", "not json");
  r = run_shell(fsrace_cmd("report text.json --html x.html"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("fsrace: error: text.json"));

  write("array.json", "[1, 2]");
  r = run_shell(fsrace_cmd("report array.json"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("array.json: expected the --json result of fsrace run, explore or merge"));

  auto bad = good;
  bad["cases"][0]["violations"][0]["trace"]["steps"][0][1] = 9;
  write("bad-thread.json", bad.dump());
  r = run_shell(fsrace_cmd("report bad-thread.json --html x.html"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad-thread.json: /cases/0/violations/0/trace/steps/0/1: expected a thread index below 2, got 9"));

  bad = good;
  bad["cases"][1].erase("fixes");
  write("no-fixes.json", bad.dump());
  r = run_shell(fsrace_cmd("report no-fixes.json"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("no-fixes.json: /cases/1/fixes: missing: expected a string"));

  r = run_shell(fsrace_cmd("report good.json --html no-such-dir/x.html"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("fsrace: error: --html: cannot write no-such-dir/x.html"));
  CHECK_FALSE(std::filesystem::exists(scratch_dir() / "x.html"));

  r = run_shell(fsrace_cmd("run deadlock.json --html no-such-dir/run.html"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--html: cannot write no-such-dir/run.html"));
}

TEST_CASE("the page of merged run shards equals the page of the whole run") {
  write_deadlock_scenario();
  REQUIRE(run_shell(fsrace_cmd("run deadlock.json --html whole.html")).code == 1);
  CHECK(run_shell(fsrace_cmd("run deadlock.json --shard 0/2 --json s0.json")).code == 0);  // the "off" case holds
  CHECK(run_shell(fsrace_cmd("run deadlock.json --shard 1/2 --json s1.json")).code == 1);  // the "on" case does not
  REQUIRE(run_shell(fsrace_cmd("merge s1.json s0.json --json merged.json")).code == 1);
  REQUIRE(run_shell(fsrace_cmd("report merged.json --html merged.html")).code == 0);
  const std::string merged = slurp(scratch_dir() / "merged.html");
  CHECK_THAT(merged, Catch::Contains("<th class=\"lane t0\">a</th>"));  // the trace survived the merge
  CHECK(without_origin(merged) == without_origin(slurp(scratch_dir() / "whole.html")));
  // A report path that cannot be written is bad input, not a tool error.
  const auto r = run_shell(fsrace_cmd("merge s0.json s1.json --junit no-such-dir/m.xml"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("fsrace: error: --junit: cannot write no-such-dir/m.xml"));
}
