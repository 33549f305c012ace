#pragma once
// Strict reading of JSON objects for user files: every key is either known or an error, required keys
// must be present, and each problem is reported with its JSON path and what was expected.
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/diagnostics.hpp"
#include "sim/params.hpp"

namespace fsrace::sim {

/// JSON pointer of a child ("/threads" + 1 -> "/threads/1"; keys escaped as RFC 6901 says).
std::string json_child(const std::string& path, std::string_view key);
std::string json_child(const std::string& path, size_t index);

class object_view {
 public:
  /// `what` describes the object for the message when `j` is not one ("the filesystem description").
  object_view(diagnostics_sink& sink, const nlohmann::json& j, std::string path, const char* what);

  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }
  /// The value under `key` or nullptr; the key counts as known either way.
  const nlohmann::json* optional(const std::string& key);
  /// Same, but a missing key is an error saying what was expected there.
  const nlohmann::json* required(const std::string& key, const std::string& expectation);
  /// Reports every key that was never asked for, listing the known ones. `owner` names the object
  /// in the message ("the scenario", "operation \"scrub\"").
  void reject_unknown(const std::string& owner);

  std::string child(const std::string& key) const { return json_child(path_, key); }

 private:
  diagnostics_sink& sink_;
  const nlohmann::json& j_;
  std::string path_;
  bool valid_;
  std::vector<std::string> known_;
};

/// Typed getters that report a mismatch and return false.
bool get_string(diagnostics_sink& sink, const nlohmann::json& v, const std::string& path, std::string& out,
                const char* expectation = "a string");
bool get_uint(diagnostics_sink& sink, const nlohmann::json& v, const std::string& path, uint64_t min, uint64_t max,
              uint64_t& out);

}  // namespace fsrace::sim
