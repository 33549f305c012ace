// fsrace soak as a process: budgets spread over workloads, findings with replay commands that work,
// bad input. Workloads here use only the core family (signal / wait / yield).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "tests/reports/process.hpp"

namespace {

using fsrace::test::fsrace_cmd;
using fsrace::test::run_shell;
using fsrace::test::scratch_dir;

std::string workload(const std::string& name, const std::string& threads, const std::string& expectations) {
  return R"({"name": ")" + name + R"(", "title": "core-only soak workload",
  "filesystem": {"devices": ["1GiB"]},
  "threads": )" + threads + R"(,
  "invariants": ["user_errors"],
  "explore": {"strategy": "pct", "runs": 10, "seed": 3},
  "expectations": )" + expectations + "}";
}

const char* kCalm = R"([{"name": "a", "ops": [{"op": "yield"}, {"op": "signal", "event": "go"}, {"op": "yield"}]},
                        {"name": "b", "ops": [{"op": "wait", "event": "go"}, {"op": "yield"}]}])";
const char* kClean = R"([{"fixes": "on", "result": "clean"}, {"fixes": "on", "result": "clean", "explore": {"strategy": "random"}}])";

void write(const std::string& name, const std::string& text) { std::ofstream(scratch_dir() / name) << text; }

uint64_t executions_of(const std::string& out, const std::string& label) {
  std::smatch m;
  const std::regex line(std::regex_replace(label, std::regex(R"([\[\]])"), R"(\$&)") + R"(\s+(\d+))");
  REQUIRE(std::regex_search(out, m, line));
  return std::stoull(m[1]);
}

}  // namespace

TEST_CASE("soak: --executions spreads evenly over every workload and expectation, deterministically") {
  write("calm.json", workload("calm", kCalm, kClean));
  write("calm2.json", workload("calm2", kCalm, R"([{"fixes": "on", "result": "clean"}])"));
  auto r = run_shell(fsrace_cmd("soak calm.json calm2.json --executions 1001 --round 100"));
  CHECK(r.code == 0);
  CHECK(executions_of(r.out, "calm [pct]") == 334);
  CHECK(executions_of(r.out, "calm [random]") == 334);
  CHECK(executions_of(r.out, "calm2 [pct]") == 333);
  CHECK_THAT(r.out, Catch::Contains("total: 1001 executions") && Catch::Contains("over 2 workloads (3 cases)"));
  CHECK_THAT(r.out, !Catch::Contains("FINDING"));
  auto again = run_shell(fsrace_cmd("soak calm.json calm2.json --executions 1001 --round 7"));
  CHECK(again.code == 0);
  CHECK(executions_of(again.out, "calm2 [pct]") == 333);
  // 1 s of wall time: on a loaded 2-core machine the worker still gets a tenth of a CPU second or more.
  r = run_shell(fsrace_cmd("soak calm.json --time-budget 1 --round 50"));
  CHECK(r.code == 0);
  CHECK(executions_of(r.out, "calm [pct]") >= 50);
  // --time-budget is wall time, said so; each workload shows its wall and CPU seconds (one worker thread:
  // its CPU time cannot exceed its wall time).
  CHECK_THAT(r.out, Catch::Contains("budget: --time-budget 1 s of wall time"));
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(total: \d+ executions in ([0-9.]+) s of wall time \(([0-9.]+) s of CPU, 1 worker thread per workload\))")));
  CHECK(std::stod(m[1]) >= 1.0);
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(calm \[pct\]\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)  clean)")));
  CHECK(std::stod(m[3]) <= std::stod(m[2]) + 0.1);
  CHECK(std::stod(m[2]) > 0);
}

TEST_CASE("soak: a finding stops its workload, is printed with a replay command that reproduces it") {
  // The scrub vs cleaner seed race with its fix reverted on top of 5.7 (the scenario's base), as a soak workload
  // would show a false race: schedule-dependent, found by PCT within tens of executions.
  nlohmann::json sc = nlohmann::json::parse(fsrace::test::slurp(FSRACE_SCENARIO_DIR "/scrub-vs-bg-deletion.json"));
  sc["name"] = "reverted";
  sc["expectations"] = nlohmann::json::parse(R"([{"fixes": "on", "fix": {"020d5b7366fc": "off"}, "result": "clean",
                                                 "explore": {"strategy": "pct", "depth": 3}}])");
  write("reverted.json", sc.dump());
  write("calm.json", workload("calm", kCalm, kClean));
  auto r = run_shell(fsrace_cmd("soak reverted.json calm.json --executions 6000 --round 500"));
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("FINDING reverted [pct]: violation: scrub returned -EINVAL"));
  CHECK(executions_of(r.out, "calm [pct]") == 2000);  // the other workload ran its whole share
  CHECK(executions_of(r.out, "reverted [pct]") < 2000);
  const auto pos = r.out.find("replay: fsrace replay ");
  REQUIRE(pos != std::string::npos);
  const std::string replay = r.out.substr(pos + 15, r.out.find('\n', pos) - pos - 15);
  CHECK_THAT(replay, Catch::Contains("--fixes on --fix 020d5b7366fc=off"));
  auto again = run_shell(fsrace_cmd(replay));
  CHECK(again.code == 1);
  CHECK_THAT(again.out, Catch::Contains("returned -EINVAL"));
}

TEST_CASE("soak: bad input exits 2 naming what is wrong") {
  write("calm.json", workload("calm", kCalm, kClean));
  write("expects.json", workload("expects", kCalm, R"([{"fixes": "on", "result": "violation"}])"));
  write("dfs.json", workload("dfs", kCalm, R"([{"fixes": "on", "result": "clean", "explore": {"strategy": "dfs"}}])"));
  auto r = run_shell(fsrace_cmd("soak calm.json"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("exactly one of --executions N and --time-budget SECONDS"));
  r = run_shell(fsrace_cmd("soak calm.json --executions 10 --time-budget 1"));
  CHECK(r.code == 2);
  r = run_shell(fsrace_cmd("soak expects.json --executions 10"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("expects.json: /expectations/0") && Catch::Contains("expects \"clean\" only"));
  r = run_shell(fsrace_cmd("soak dfs.json --executions 10"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("/expectations/0/explore/strategy"));
}
