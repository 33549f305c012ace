#include "sim/params.hpp"

#include <fmt/format.h>

#include "sim/diagnostics.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {

const char* to_string(param_type t) {
  switch (t) {
    case param_type::integer: return "integer";
    case param_type::size: return "size";
    case param_type::string: return "string";
    case param_type::boolean: return "bool";
    case param_type::choice: return "choice";
    case param_type::name: return "name";
    case param_type::ref: return "ref";
    case param_type::device: return "device";
    case param_type::spare_device: return "spare_device";
  }
  return "?";
}

std::string param_spec::expectation() const {
  switch (type) {
    case param_type::integer: {
      const bool lo = min != std::numeric_limits<int64_t>::min(), hi = max != std::numeric_limits<int64_t>::max();
      if (lo && hi) return fmt::format("an integer in {}..{}", min, max);
      if (lo) return fmt::format("an integer >= {}", min);
      if (hi) return fmt::format("an integer <= {}", max);
      return "an integer";
    }
    case param_type::size: {
      std::string out = "a size (bytes as an integer, or a string like \"64KiB\")";
      if (size_min > 0) out += fmt::format(", at least {}", format_size(size_min));
      if (size_max != std::numeric_limits<uint64_t>::max()) out += fmt::format(", at most {}", format_size(size_max));
      if (align > 1) out += fmt::format(", a multiple of {}", format_size(align));
      return out;
    }
    case param_type::string: return "a string";
    case param_type::boolean: return "true or false";
    case param_type::choice: {
      std::string out = "one of ";
      for (size_t i = 0; i < choices.size(); ++i) out += (i ? "|" : "") + ("\"" + choices[i] + "\"");
      return out;
    }
    case param_type::name: return fmt::format("a new {} name (a non-empty string)", kind);
    case param_type::ref: return fmt::format("the name of a {} defined by an operation of the scenario", kind);
    case param_type::device: return "a device index (an integer, 0 = the first entry of filesystem.devices)";
    case param_type::spare_device:
      return "a spare device index (an integer, 0 = the first entry of filesystem.spare_devices)";
  }
  return "?";
}

std::string param_spec::default_text() const {
  if (required) return "required";
  return "default " + default_value.dump();
}

std::string describe_json(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return fmt::format("boolean {}", v.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return fmt::format("integer {}", v.dump());
    case nlohmann::json::value_t::number_float: return fmt::format("number {}", v.dump());
    case nlohmann::json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return fmt::format("string \"{}\"", s);
    }
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

bool convert_param(const param_spec& spec, const nlohmann::json& v, size_t device_count, param_value& out,
                   std::string& why, size_t spare_count) {
  auto wrong = [&] {
    why = fmt::format("expected {}, got {}", spec.expectation(), describe_json(v));
    return false;
  };
  switch (spec.type) {
    case param_type::integer:
    case param_type::device:
    case param_type::spare_device: {
      if (!v.is_number_integer()) return wrong();
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return wrong();
      const int64_t n = v.get<int64_t>();
      if (spec.type == param_type::device) {
        if (n < 0 || (device_count && static_cast<uint64_t>(n) >= device_count)) {
          why = fmt::format("expected a device index in 0..{} (filesystem.devices has {} entr{}), got {}",
                            device_count ? device_count - 1 : 0, device_count, device_count == 1 ? "y" : "ies", n);
          return false;
        }
      } else if (spec.type == param_type::spare_device) {
        if (n < 0 || static_cast<uint64_t>(n) >= spare_count) {
          why = spare_count ? fmt::format("expected a spare device index in 0..{} (filesystem.spare_devices has {} entr{}), got {}",
                                          spare_count - 1, spare_count, spare_count == 1 ? "y" : "ies", n)
                            : fmt::format("expected a spare device index, got {}, but filesystem.spare_devices lists none "
                                          "(add e.g. \"spare_devices\": [\"1GiB\"] to the filesystem)", n);
          return false;
        }
      } else if (n < spec.min || n > spec.max) {
        return wrong();
      }
      out.integer = n;
      return true;
    }
    case param_type::size: {
      uint64_t bytes = 0;
      if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
        bytes = v.get<uint64_t>();
      } else if (v.is_number_integer()) {
        why = fmt::format("expected a non-negative size, got {}", v.dump());
        return false;
      } else if (v.is_string()) {
        std::string size_why;
        auto parsed = parse_size(v.get<std::string>(), size_why);
        if (!parsed) {
          why = size_why;
          return false;
        }
        bytes = *parsed;
      } else {
        return wrong();
      }
      if (bytes < spec.size_min || bytes > spec.size_max || (spec.align > 1 && bytes % spec.align)) {
        why = fmt::format("expected {}, got {}", spec.expectation(), format_size(bytes));
        return false;
      }
      out.bytes = bytes;
      return true;
    }
    case param_type::boolean:
      if (!v.is_boolean()) return wrong();
      out.integer = v.get<bool>() ? 1 : 0;
      return true;
    case param_type::string:
      if (!v.is_string()) return wrong();
      out.text = v.get<std::string>();
      return true;
    case param_type::choice: {
      if (!v.is_string()) return wrong();
      std::string s = v.get<std::string>();
      for (const auto& c : spec.choices)
        if (c == s) {
          out.text = s;
          return true;
        }
      why = fmt::format("expected {}, got \"{}\"{}", spec.expectation(), s, did_you_mean(s, spec.choices));
      return false;
    }
    case param_type::name:
    case param_type::ref:
      if (!v.is_string() || v.get<std::string>().empty()) return wrong();
      out.text = v.get<std::string>();
      return true;
  }
  return wrong();
}

const param_value& params::find(std::string_view name, param_type want, param_type also, bool allow_also) const {
  if (!specs_) throw tool_error(fmt::format("parameter '{}' asked of an operation without parameters", name));
  for (size_t i = 0; i < specs_->size(); ++i) {
    const auto& s = (*specs_)[i];
    if (s.name != name) continue;
    if (s.type != want && !(allow_also && s.type == also))
      throw tool_error(fmt::format("parameter '{}' is a {}, read as a {}", name, to_string(s.type), to_string(want)));
    return values_[i];
  }
  throw tool_error(fmt::format("no parameter '{}' in the operation's specification", name));
}

int64_t params::integer(std::string_view name) const { return find(name, param_type::integer).integer; }
uint64_t params::size(std::string_view name) const { return find(name, param_type::size).bytes; }
bool params::flag(std::string_view name) const { return find(name, param_type::boolean).integer != 0; }
uint32_t params::device(std::string_view name) const {
  return static_cast<uint32_t>(find(name, param_type::device).integer);
}
uint32_t params::spare_device(std::string_view name) const {
  return static_cast<uint32_t>(find(name, param_type::spare_device).integer);
}
const std::string& params::text(std::string_view name) const {
  if (!specs_) throw tool_error(fmt::format("parameter '{}' asked of an operation without parameters", name));
  for (size_t i = 0; i < specs_->size(); ++i) {
    const auto& s = (*specs_)[i];
    if (s.name != name) continue;
    if (s.type != param_type::string && s.type != param_type::choice && s.type != param_type::name &&
        s.type != param_type::ref)
      throw tool_error(fmt::format("parameter '{}' is a {}, read as text", name, to_string(s.type)));
    return values_[i].text;
  }
  throw tool_error(fmt::format("no parameter '{}' in the operation's specification", name));
}

std::string params::describe() const {
  std::string out;
  for (size_t i = 0; i < values_.size(); ++i) {
    const auto& s = (*specs_)[i];
    const auto& v = values_[i];
    if (!out.empty()) out += ' ';
    out += s.name + '=';
    switch (s.type) {
      case param_type::integer:
      case param_type::device:
      case param_type::spare_device: out += std::to_string(v.integer); break;
      case param_type::size: out += format_size(v.bytes); break;
      case param_type::boolean: out += v.integer ? "true" : "false"; break;
      default: out += v.text; break;
    }
  }
  return out;
}

}  // namespace fsrace::sim
