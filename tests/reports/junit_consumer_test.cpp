// The JUnit report read by a real consumer: Debian's python3-junitparser (what CI plugins build on).
// Each scenario is its own testsuite with timestamp and hostname, test names are the scenario and fix
// setting only, properties carry seed, strategy, fixes and the replay command, and merging two reports
// keeps every suite apart.
#include <catch2/catch.hpp>

#include <fstream>

#include "reports/junit.hpp"
#include "tests/reports/process.hpp"

using namespace fsrace::test;

namespace {

void write(const std::string& name, const std::string& text) { std::ofstream(scratch_dir() / name) << text; }

std::string scenario(const std::string& name, const std::string& expectations) {
  return R"({"name": ")" + name + R"(", "title": "two threads wait for each other",
  "filesystem": {"devices": ["1GiB"]},
  "threads": [{"name": "a", "ops": [{"op": "wait", "event": "b_go"}, {"op": "signal", "event": "a_go"}]},
              {"name": "b", "ops": [{"op": "wait", "event": "a_go"}, {"op": "signal", "event": "b_go"}]}],
  "fixes": ["020d5b7366fc"], "invariants": ["user_errors"],
  "explore": {"strategy": "random", "runs": 50, "seed": 5},
  "expectations": )" + expectations + "}";
}

// The consumer: prints one line per suite and case as junitparser reads them.
const char* kConsumer = R"PY(
import sys, xml.etree.ElementTree as ET
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
if len(sys.argv) > 2:
    xml = xml + JUnitXml.fromfile(sys.argv[2])
for suite in xml:
    props = {p.name: p.value for p in suite.properties()}
    print("SUITE", suite.name, suite.tests, suite.failures, suite.errors, bool(suite.timestamp), bool(suite.hostname), props.get("file"))
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        cprops = {p.get("name"): p.get("value") for p in case._elem.iter("property")}
        print("CASE", case.classname, "|", case.name, "|", ",".join(kinds) or "passed", "|", cprops.get("fixes"), "|",
              cprops.get("strategy"), "|", cprops.get("seed"), "|", (cprops.get("replay") or "")[:22])
)PY";

}  // namespace

TEST_CASE("JUnit reports read by python3-junitparser: a suite per scenario, stable names, properties, merge") {
  if (run_shell("/usr/bin/python3 -c 'import junitparser'").code != 0) {
    FAIL("python3-junitparser is missing: bash .ci/install-deps installs it");
  }
  write("jdeadlock.json", scenario("jdeadlock", R"([{"fixes": "off", "result": "violation", "kind": "deadlock"},
                                                     {"fixes": "on", "result": "clean"}])"));
  write("jother.json", scenario("jother", R"([{"fixes": "off", "result": "violation", "kind": "deadlock"}])"));
  write("consumer.py", kConsumer);
  auto r = run_shell(fsrace_cmd("run jdeadlock.json --junit a.xml --shrink-budget 50"));
  REQUIRE(r.code == 1);  // fixes on: the deadlock does not depend on the fix
  REQUIRE(run_shell(fsrace_cmd("run jother.json --junit b.xml --shrink-budget 50")).code == 0);
  r = run_shell("/usr/bin/python3 consumer.py a.xml b.xml");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("SUITE fsrace.jdeadlock 2 1 0 True True jdeadlock.json"));
  CHECK_THAT(r.out, Catch::Contains("SUITE fsrace.jother 1 0 0 True True jother.json"));
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jdeadlock | fixes=off | passed | off | random | "));
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jdeadlock | fixes=on | Failure | on | random | "));
  CHECK_THAT(r.out, Catch::Contains("| fsrace replay jdeadloc"));
  // Tuning the strategy or the expected message keeps the test's name (CI keeps its history).
  write("jother.json", scenario("jother", R"([{"fixes": "off", "result": "violation", "kind": "deadlock",
                                              "explore": {"strategy": "pct"}, "message_contains": "b_go"}])"));
  REQUIRE(run_shell(fsrace_cmd("run jother.json --junit c.xml --shrink-budget 50")).code == 0);
  r = run_shell("/usr/bin/python3 consumer.py c.xml");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jother | fixes=off | passed | off | pct depth 3 | "));
}

TEST_CASE("JUnit of an interrupted run: a case stopped before its verdict is skipped, a decided one keeps it") {
  if (run_shell("/usr/bin/python3 -c 'import junitparser'").code != 0) {
    FAIL("python3-junitparser is missing: bash .ci/install-deps installs it");
  }
  using fsrace::reports::case_result;
  fsrace::reports::suite_result s;
  s.interrupted = true;
  case_result base;
  base.scenario = "jint";
  base.file = "jint.json";
  base.strategy = "random";
  case_result passed = base;  // found the violation it expected, then Ctrl-C
  passed.fixes = "off";
  passed.expected = "violation deadlock";
  passed.interrupted = true;
  passed.violations.push_back({"deadlock", "a waits on b", 3, 3, 1, 10, 1, "fsrace replay jint.json --seed 3", "", "", "", std::nullopt});
  case_result unproven = base;  // expected clean, stopped part-way: unproven
  unproven.fixes = "on";
  unproven.expected = "clean";
  unproven.interrupted = true;
  unproven.result = case_result::status::fail;
  unproven.reason = "interrupted (Ctrl-C) after 7 executions, before the search could decide: expected clean, unproven";
  case_result contradicted = unproven;  // expected clean, found a violation before Ctrl-C: decided
  contradicted.fixes = "on+f78c436c3931=off";
  contradicted.reason = "expected clean, found deadlock at execution 3: a waits on b";
  contradicted.violations = passed.violations;
  s.cases = {passed, unproven, contradicted};
  CHECK(!passed.undecided());
  CHECK(unproven.undecided());
  CHECK(!contradicted.undecided());
  write("int.xml", fsrace::reports::to_junit(s, "fsrace", {"2026-12-05T06:00:00", "host"}));
  write("consumer.py", kConsumer);
  auto r = run_shell("/usr/bin/python3 consumer.py int.xml");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("SUITE fsrace.jint 3 1 0 True True jint.json"));
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jint | fixes=off | passed |"));
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jint | fixes=on | Skipped |"));
  CHECK_THAT(r.out, Catch::Contains("CASE fsrace.jint | fixes=on+f78c436c3931=off | Failure |"));
}
