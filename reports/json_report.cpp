#include "reports/json_report.hpp"

#include <stdexcept>

namespace fsrace::reports {

nlohmann::json to_json(const case_result& c) {
  nlohmann::json v = nlohmann::json::array();
  for (const auto& x : c.violations)
    v.push_back({{"seed", x.seed},
                 {"kind", x.kind},
                 {"message", x.message},
                 {"execution", x.execution},
                 {"occurrences", x.occurrences},
                 {"steps", x.steps},
                 {"preemptions", x.preemptions},
                 {"replay", x.replay_command}});
  return {{"ordinal", c.ordinal},
          {"scenario", c.scenario},
          {"file", c.file},
          {"fixes", c.fixes},
          {"expected", c.expected},
          {"strategy", c.strategy},
          {"base_seed", c.base_seed},
          {"executions", c.executions},
          {"violating_executions", c.violating_executions},
          {"exhausted", c.exhausted},
          {"status", to_string(c.result)},
          {"reason", c.reason},
          {"seconds", c.seconds},
          {"violations", v}};
}

nlohmann::json to_json(const suite_result& s) {
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& c : s.cases) cases.push_back(to_json(c));
  return {{"summary", {{"cases", s.cases.size()}, {"passed", s.passed()}, {"failed", s.failed()}, {"errors", s.errors()}}},
          {"cases", cases}};
}

case_result case_from_json(const nlohmann::json& j) {
  try {
    case_result c;
    c.ordinal = j.at("ordinal").get<uint64_t>();
    c.scenario = j.at("scenario").get<std::string>();
    c.file = j.at("file").get<std::string>();
    c.fixes = j.at("fixes").get<std::string>();
    c.expected = j.at("expected").get<std::string>();
    c.strategy = j.at("strategy").get<std::string>();
    c.base_seed = j.at("base_seed").get<uint64_t>();
    c.executions = j.at("executions").get<uint64_t>();
    c.violating_executions = j.at("violating_executions").get<uint64_t>();
    c.exhausted = j.at("exhausted").get<bool>();
    const std::string st = j.at("status").get<std::string>();
    if (st == "pass") c.result = case_result::status::pass;
    else if (st == "fail") c.result = case_result::status::fail;
    else if (st == "error") c.result = case_result::status::error;
    else throw std::runtime_error("status must be pass, fail or error, got \"" + st + "\"");
    c.reason = j.at("reason").get<std::string>();
    c.seconds = j.at("seconds").get<double>();
    for (const auto& x : j.at("violations")) {
      violation_entry e;
      e.seed = x.at("seed").get<uint64_t>();
      e.kind = x.at("kind").get<std::string>();
      e.message = x.at("message").get<std::string>();
      e.execution = x.at("execution").get<uint64_t>();
      e.occurrences = x.at("occurrences").get<uint64_t>();
      e.steps = x.at("steps").get<uint64_t>();
      e.preemptions = x.at("preemptions").get<uint64_t>();
      e.replay_command = x.at("replay").get<std::string>();
      c.violations.push_back(std::move(e));
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed case result: ") + e.what());
  }
}

suite_result suite_from_json(const nlohmann::json& j) {
  suite_result s;
  if (!j.is_object() || !j.contains("cases") || !j["cases"].is_array())
    throw std::runtime_error("malformed suite result: expected an object with a \"cases\" array");
  for (const auto& c : j["cases"]) s.cases.push_back(case_from_json(c));
  return s;
}

}  // namespace fsrace::reports
