#include <fmt/format.h>

#include "reports/console.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"

namespace fsrace::cli {

int cmd_merge(const merge_args& a) {
  check_output_paths({{"--junit", a.junit}, {"--json", a.json}});
  std::vector<nlohmann::json> docs;
  for (const auto& f : a.files) docs.push_back(sim::read_json_file(f, sim::result_file_limits("a result file")));
  const bool suites = docs.front().is_object() && docs.front().contains("summary");
  for (size_t i = 0; i < docs.size(); ++i)
    if ((docs[i].is_object() && docs[i].contains("summary")) != suites)
      throw sim::input_error(a.files[i], "", fmt::format("expected a {} result like {}", suites ? "suite (run --json)" : "exploration (explore --json)",
                                                        a.files.front()));
  if (suites) {
    const reports::suite_result merged = sim::merge_suites(docs, a.files);
    if (!a.junit.empty()) write_report_file("--junit", a.junit, reports::to_junit(merged, "fsrace", junit_context()));
    if (!a.json.empty()) {
      nlohmann::json j = reports::to_json(merged);
      j["shard"] = nullptr;
      write_report_file("--json", a.json, j.dump(2) + "\n");
    }
    fmt::print("{}", reports::console_summary(merged));
    if (merged.errors()) return kToolError;
    return merged.failed() ? kViolation : kClean;
  }
  if (!a.junit.empty()) throw sim::input_error("", "--junit", "JUnit reports come from suites (run --json shards), not explorations");
  const nlohmann::json merged = sim::merge_explorations(docs, a.files);
  if (a.json.empty()) fmt::print("{}\n", merged.dump(2));
  else write_report_file("--json", a.json, merged.dump(2) + "\n");
  const std::string result = merged["result"].get<std::string>();
  return result == "tool-error" ? kToolError : result == "violation" ? kViolation : kClean;
}

}  // namespace fsrace::cli
