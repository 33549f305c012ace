#pragma once
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "reports/results.hpp"

namespace fsrace::reports {

/// {"ordinal", "scenario", "file", "fixes", "expected", "strategy", "base_seed", "executions", "violating_executions",
///  "exhausted", "status", "reason", "seconds", "violations": [{"seed", "kind", "message", "execution",
///  "occurrences", "steps", "preemptions", "replay", "diagram"?, "trace"?}]}
/// "trace": {"threads": [names], "total_steps", "violating": step or null, "note",
///           "steps": [[index, thread, "label"], ...]} (the steps shown, in execution order)
nlohmann::json to_json(const case_result&);
nlohmann::json to_json(const trace_record&);
nlohmann::json to_json(const label_coverage_result&);  // null when not present
/// {"summary": {"cases", "passed", "failed", "errors"}, "cases": [...]}
nlohmann::json to_json(const suite_result&);

/// A value that is not what to_json writes: `path()` is its JSON pointer, what() says what was expected.
class json_report_error : public std::runtime_error {
 public:
  json_report_error(std::string path, const std::string& expectation)
      : std::runtime_error(path + ": " + expectation), path_(std::move(path)), expectation_(expectation) {}
  const std::string& path() const { return path_; }
  const std::string& expectation() const { return expectation_; }

 private:
  std::string path_, expectation_;
};

/// Reads back what to_json wrote (for `fsrace merge` and `fsrace report`); `path` is the JSON pointer of
/// `j` in its document. Throws json_report_error naming the first malformed value.
case_result case_from_json(const nlohmann::json& j, const std::string& path = "");
trace_record trace_from_json(const nlohmann::json& j, const std::string& path = "");
label_coverage_result label_coverage_from_json(const nlohmann::json& j, const std::string& path = "");
suite_result suite_from_json(const nlohmann::json&);

}  // namespace fsrace::reports
