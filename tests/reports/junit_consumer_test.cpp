// The JUnit report read by a real consumer: Debian's python3-junitparser (what CI plugins build on).
// Each scenario is its own testsuite with timestamp and hostname, test names are the scenario and fix
// setting only, properties carry seed, strategy, fixes and the replay command, and merging two reports
// keeps every suite apart.
#include <catch2/catch.hpp>

#include <fstream>

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
