#pragma once
// Typed parameters of operations and invariants: the specs a family registers, and the values a scenario
// gives, already validated against those specs when the scenario was loaded.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fsrace::sim {

enum class param_type {
  integer,  // JSON integer, within [min, max]
  size,     // byte count: JSON integer or "64KiB"/"1GiB", within [size_min, size_max], multiple of align
  string,   // any JSON string
  boolean,  // true / false
  choice,   // one of `choices`
  name,     // defines a named object of `kind` (a file, a snapshot, ...) that later ops refer to
  ref,      // refers to a named object of `kind` defined by some op of the scenario
  device,   // index into filesystem.devices (0-based)
  spare_device,  // index into filesystem.spare_devices (0-based)
};
const char* to_string(param_type);

struct param_spec {
  std::string name;
  param_type type = param_type::integer;
  std::string doc;
  bool required = true;
  nlohmann::json default_value;  // when !required: the documented default, validated at registration
  int64_t min = std::numeric_limits<int64_t>::min(), max = std::numeric_limits<int64_t>::max();
  uint64_t size_min = 0, size_max = std::numeric_limits<uint64_t>::max(), align = 0;
  std::vector<std::string> choices;
  std::string kind;  // object kind for name / ref
  /// For size parameters of data operations: bytes the call writes, allocates or reads (summed against
  /// limits::kDataBytes), or a file offset (offset + those bytes within limits::kFileBytes).
  enum class data_role : uint8_t { none, bytes, file_offset } data = data_role::none;

  /// What a value must look like: "integer in 0..100", "size, multiple of 4KiB", "one of single|dup".
  std::string expectation() const;
  /// "(default 0)", "(required)".
  std::string default_text() const;
};

/// One parameter value after validation (the field used depends on the spec's type).
struct param_value {
  int64_t integer = 0;  // integer, device index, boolean (0/1)
  uint64_t bytes = 0;   // size
  std::string text;     // string, choice, name, ref
};

/// The values of one operation call or invariant use, in spec order. Accessors check name and type:
/// asking for an unknown name or the wrong type is a programming error in the family (tool_error).
class params {
 public:
  params() = default;
  params(const std::vector<param_spec>* specs, std::vector<param_value> values)
      : specs_(specs), values_(std::move(values)) {}

  int64_t integer(std::string_view name) const;
  uint64_t size(std::string_view name) const;
  bool flag(std::string_view name) const;
  /// string, choice, name or ref. The reference lives as long as the scenario, so `.c_str()` may be put
  /// in a sched::Label (static lifetime for the whole exploration).
  const std::string& text(std::string_view name) const;
  uint32_t device(std::string_view name) const;
  uint32_t spare_device(std::string_view name) const;

  /// "dev=0 length=64KiB file=a" in spec order (for labels and messages).
  std::string describe() const;
  size_t count() const { return values_.size(); }
  const param_spec& spec(size_t i) const { return (*specs_)[i]; }
  const param_value& value(size_t i) const { return values_[i]; }

 private:
  const param_value& find(std::string_view name, param_type want, param_type also = param_type::integer,
                          bool allow_also = false) const;
  const std::vector<param_spec>* specs_ = nullptr;
  std::vector<param_value> values_;
};

/// Checks `v` against `spec`; on success fills `out`. On failure returns false and sets `why` to
/// "expected <expectation>, got <what was there>". `device_count` bounds device indexes (0 = unknown),
/// `spare_count` spare device indexes (0 = none: every spare device index is refused).
bool convert_param(const param_spec& spec, const nlohmann::json& v, size_t device_count, param_value& out,
                   std::string& why, size_t spare_count = 0);

/// Short description of a JSON value for messages: `string "abc"`, `integer 5`, `array`, `null`.
std::string describe_json(const nlohmann::json& v);

}  // namespace fsrace::sim
