#pragma once
// Loading scenario files: JSON syntax (with line and column), duplicate keys, then every rule of the
// scenario language, reporting all problems of a file at once as input_error (exit code 2).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/catalogue.hpp"
#include "sim/diagnostics.hpp"
#include "sim/limits.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {

/// Bounds on a JSON input file (sim/limits.hpp); `what` names the kind of file in messages.
struct json_limits {
  const char* what = "a scenario file";
  size_t max_file_bytes = limits::kScenarioFileBytes;
  size_t max_depth = limits::kJsonDepth;
  size_t max_key_bytes = limits::kKeyBytes;
  size_t max_string_bytes = limits::kScenarioStringBytes;
};
/// Limits of schedule files and of the --json results given to report and merge.
inline json_limits result_file_limits(const char* what) {
  return {what, limits::kResultFileBytes, limits::kJsonDepth, limits::kKeyBytes, limits::kResultStringBytes};
}

/// Reads and parses a JSON file (a regular file within the limits). Syntax errors name line and column;
/// a key given twice in one object is an error too (JSON parsers silently keep the last one); numbers
/// out of range name their JSON path and position. Throws input_error.
nlohmann::json read_json_file(const std::string& file, const json_limits& = {});
/// Same for text already in memory (`file` names it in messages).
nlohmann::json parse_json_text(const std::string& text, const std::string& file, const json_limits& = {});

/// Validates `doc` as a scenario against `cat`. Throws input_error listing every problem found.
std::unique_ptr<scenario> parse_scenario(const nlohmann::json& doc, const std::string& file, const catalogue& cat);
std::unique_ptr<scenario> load_scenario(const std::string& file, const catalogue& cat);

/// Parses "on" / "off" (for --fixes and expectations); nullopt otherwise.
std::optional<bool> parse_on_off(std::string_view);

}  // namespace fsrace::sim
