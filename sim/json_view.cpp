#include "sim/json_view.hpp"

#include <algorithm>

#include "sim/params.hpp"

namespace fsrace::sim {

std::string json_child(const std::string& path, std::string_view key) {
  std::string out = path + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string json_child(const std::string& path, size_t index) { return path + "/" + std::to_string(index); }

object_view::object_view(diagnostics_sink& sink, const nlohmann::json& j, std::string path, const char* what)
    : sink_(sink), j_(j), path_(std::move(path)), valid_(j.is_object()) {
  if (!valid_) sink_.error(path_.empty() ? "/" : path_, "expected {} (a JSON object), got {}", what, describe_json(j));
}

const nlohmann::json* object_view::optional(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);  // asked twice, listed once
  if (!valid_) return nullptr;
  auto it = j_.find(key);
  return it == j_.end() ? nullptr : &*it;
}

const nlohmann::json* object_view::required(const std::string& key, const std::string& expectation) {
  const nlohmann::json* v = optional(key);
  if (valid_ && !v) sink_.error(path_.empty() ? "/" : path_, "missing required key \"{}\" ({})", key, expectation);
  return v;
}

void object_view::reject_unknown(const std::string& owner) {
  if (!valid_) return;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (std::find(known_.begin(), known_.end(), it.key()) != known_.end()) continue;
    std::string list;
    for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
    sink_.error(child(it.key()), "unknown key \"{}\" in {}{}; allowed keys: {}", it.key(), owner,
                did_you_mean(it.key(), known_), list.empty() ? "none" : list);
  }
}

bool get_string(diagnostics_sink& sink, const nlohmann::json& v, const std::string& path, std::string& out,
                const char* expectation) {
  if (!v.is_string()) {
    sink.error(path, "expected {}, got {}", expectation, describe_json(v));
    return false;
  }
  out = v.get<std::string>();
  return true;
}

bool get_uint(diagnostics_sink& sink, const nlohmann::json& v, const std::string& path, uint64_t min, uint64_t max,
              uint64_t& out) {
  // Integers read from text are unsigned when non-negative; built in C++ they may be signed.
  const bool non_negative = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  const bool in_range = non_negative && v.get<uint64_t>() >= min && v.get<uint64_t>() <= max;
  if (!in_range) {
    sink.error(path, "expected an integer in {}..{}, got {}", min, max, describe_json(v));
    return false;
  }
  out = v.get<uint64_t>();
  return true;
}

}  // namespace fsrace::sim
