#pragma once
#include <nlohmann/json.hpp>

#include "reports/results.hpp"

namespace fsrace::reports {

/// {"ordinal", "scenario", "file", "fixes", "expected", "strategy", "base_seed", "executions", "violating_executions",
///  "exhausted", "status", "reason", "seconds", "violations": [{"seed", "kind", "message", "execution",
///  "occurrences", "steps", "preemptions", "replay"}]}
nlohmann::json to_json(const case_result&);
/// {"summary": {"cases", "passed", "failed", "errors"}, "cases": [...]}
nlohmann::json to_json(const suite_result&);
/// Reads back what to_json wrote (for `fsrace merge`); throws std::runtime_error on a malformed value.
case_result case_from_json(const nlohmann::json&);
suite_result suite_from_json(const nlohmann::json&);

}  // namespace fsrace::reports
