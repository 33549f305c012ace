// JUnit XML and JSON reports: well-formed, escaped, complete; atomic writes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "reports/console.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/write_atomic.hpp"

using namespace fsrace;

namespace {

reports::suite_result sample() {
  reports::suite_result s;
  reports::case_result pass;
  pass.scenario = "scrub-vs-bg-deletion";
  pass.file = "scenarios/scrub-vs-bg-deletion.json";
  pass.fixes = "off";
  pass.expected = "violation violation containing \"-EINVAL\"";
  pass.strategy = "pct depth 3";
  pass.executions = 12;
  pass.violating_executions = 1;
  pass.violations.push_back({"violation", "scrub returned -EINVAL <&> \"quoted\" 'x' \x01", 42, 11, 1, 30, 1,
                             "fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42 --strategy pct --depth 3 --fixes off",
                             "", "", "   scrub   cleaner\n", std::nullopt});
  s.cases.push_back(pass);
  reports::case_result fail = pass;
  fail.fixes = "on";
  fail.expected = "clean";
  fail.result = reports::case_result::status::fail;
  fail.reason = "expected clean, found violation at execution 11: scrub returned -EINVAL";
  s.cases.push_back(fail);
  reports::case_result error = pass;
  error.fixes = "off+f78c436c3931=on";
  error.violations.clear();
  error.result = reports::case_result::status::error;
  error.reason = "tool error at execution 0 (seed 1): std::out_of_range";
  s.cases.push_back(error);
  return s;
}

// Minimal XML well-formedness: balanced tags, quoted attributes, only the five entities.
void check_well_formed(const std::string& xml) {
  REQUIRE(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) == 0);
  std::vector<std::string> stack;
  size_t i = xml.find('\n') + 1;
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const size_t end = xml.find('>', i);
      REQUIRE(end != std::string::npos);
      std::string tag = xml.substr(i + 1, end - i - 1);
      const bool closing = tag[0] == '/', empty = tag.back() == '/';
      std::string name = tag.substr(closing ? 1 : 0, tag.find_first_of(" /", 1) - (closing ? 1 : 0));
      CHECK(std::count(tag.begin(), tag.end(), '"') % 2 == 0);
      CHECK(tag.find('<') == std::string::npos);
      if (closing) {
        REQUIRE(!stack.empty());
        CHECK(stack.back() == name);
        stack.pop_back();
      } else if (!empty) {
        stack.push_back(name);
      }
      i = end + 1;
    } else if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      const std::string entity = xml.substr(i, semi - i + 1);
      CHECK((entity == "&amp;" || entity == "&lt;" || entity == "&gt;" || entity == "&quot;" || entity == "&apos;"));
      i = semi + 1;
    } else {
      CHECK((static_cast<unsigned char>(xml[i]) >= 0x20 || xml[i] == '\n' || xml[i] == '\t'));
      ++i;
    }
  }
  CHECK(stack.empty());
}

}  // namespace

TEST_CASE("JUnit: one testcase per scenario and fix setting, failures and errors carry the details") {
  const std::string xml = reports::to_junit(sample());
  check_well_formed(xml);
  CHECK_THAT(xml, Catch::Contains("<testsuites name=\"fsrace\" tests=\"3\" failures=\"1\" errors=\"1\""));
  CHECK(std::count(xml.begin(), xml.end(), '\n') > 10);
  std::regex testcase("<testcase ");
  CHECK(std::distance(std::sregex_iterator(xml.begin(), xml.end(), testcase), std::sregex_iterator()) == 3);
  // Stable names: the scenario and the fix setting only; one testsuite per scenario with its properties.
  CHECK_THAT(xml, Catch::Contains("classname=\"fsrace.scrub-vs-bg-deletion\" name=\"fixes=on\""));
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"fsrace.scrub-vs-bg-deletion\" tests=\"3\""));
  CHECK_THAT(xml, Catch::Contains("<property name=\"strategy\" value=\"pct depth 3\"/>"));
  CHECK_THAT(xml, Catch::Contains("<property name=\"seed\" value=\"42\"/>"));
  CHECK_THAT(xml, Catch::Contains("<property name=\"replay\" value=\"fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42"));
  const std::string stamped = reports::to_junit(sample(), "fsrace", {"2026-12-04T22:13:09", "ci-7"});
  CHECK_THAT(stamped, Catch::Contains("timestamp=\"2026-12-04T22:13:09\" hostname=\"ci-7\">"));
  check_well_formed(stamped);
  CHECK_THAT(xml, Catch::Contains("<failure message=\"expected clean, found violation"));
  CHECK_THAT(xml, Catch::Contains("type=\"violation\""));
  CHECK_THAT(xml, Catch::Contains("seed 42"));
  CHECK_THAT(xml, Catch::Contains("replay: fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42"));
  CHECK_THAT(xml, Catch::Contains("<error message=\"tool error at execution 0"));
  CHECK_THAT(xml, Catch::Contains("-EINVAL &lt;&amp;&gt; &quot;quoted&quot; &apos;x&apos;"));
}

TEST_CASE("JSON: every field, and it reads back identically") {
  const auto s = sample();
  const nlohmann::json j = reports::to_json(s);
  CHECK(j["summary"]["cases"] == 3);
  CHECK(j["summary"]["passed"] == 1);
  CHECK(j["summary"]["failed"] == 1);
  CHECK(j["summary"]["errors"] == 1);
  const auto& v = j["cases"][0]["violations"][0];
  CHECK(v["seed"] == 42);
  CHECK(v["kind"] == "violation");
  CHECK(v["replay"].get<std::string>().rfind("fsrace replay", 0) == 0);
  const auto back = reports::suite_from_json(nlohmann::json::parse(j.dump()));
  CHECK(reports::to_json(back) == j);
  CHECK_THROWS_AS(reports::suite_from_json(nlohmann::json::parse(R"({"cases": [{"scenario": 1}]})")), std::runtime_error);
}

TEST_CASE("console summary: a line per case, reasons and replay commands under failures, totals") {
  const std::string text = reports::console_summary(sample());
  CHECK_THAT(text, Catch::StartsWith("PASS  scrub-vs-bg-deletion  fixes=off"));
  CHECK_THAT(text, Catch::Contains("FAIL  scrub-vs-bg-deletion  fixes=on"));
  CHECK_THAT(text, Catch::Contains("ERROR scrub-vs-bg-deletion  fixes=off+f78c436c3931=on"));
  CHECK_THAT(text, Catch::Contains("      replay: fsrace replay"));
  CHECK_THAT(text, Catch::EndsWith("3 cases: 1 passed, 1 failed, 1 tool error\n"));
}

TEST_CASE("atomic writes replace the file whole and leave no temporary behind") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fsrace-atomic-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "report.xml").string();
  reports::write_file_atomic(path, "first");
  reports::write_file_atomic(path, "second, longer content");
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  CHECK(got.str() == "second, longer content");
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  CHECK_THROWS_WITH(reports::write_file_atomic((dir / "missing" / "x.json").string(), "x"), Catch::Contains("cannot write"));
  fs::remove_all(dir);
}
