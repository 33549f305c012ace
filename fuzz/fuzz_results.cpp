// libFuzzer target: the --json results `fsrace report` and `fsrace merge` read (suites and
// explorations), merged with themselves and rendered as HTML, JUnit and JSON again. Bad input must end
// as sim::input_error or reports::json_report_error (both exit 2); anything else is a finding.
#include <cstdint>
#include <string>
#include <vector>

#include "reports/html.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"

using namespace fsrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json doc = sim::parse_json_text(text, "fuzz.json", sim::result_file_limits("a result file"));
    reports::suite_result suite;
    if (doc.is_object() && doc.contains("cases")) suite = reports::suite_from_json(doc);
    else if (doc.is_object() && doc.contains("result") && doc.contains("scenario")) suite.cases.push_back(reports::case_from_json(doc));
    else return 0;
    (void)reports::render_html(suite, {"fuzz"});
    (void)reports::to_junit(suite);
    (void)reports::to_json(suite).dump();
    const std::vector<nlohmann::json> docs{doc, doc};
    const std::vector<std::string> files{"a.json", "b.json"};
    if (doc.contains("summary")) (void)sim::merge_suites(docs, files);
    else (void)sim::merge_explorations(docs, files).dump();
  } catch (const sim::input_error&) {
  } catch (const reports::json_report_error&) {
  }
  return 0;
}
