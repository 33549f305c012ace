#include "sim/scenario.hpp"

#include <fmt/format.h>

#include "sim/search/search.hpp"

namespace fsrace::sim {

std::string fixes_spec::describe() const {
  std::string out = "under test:";
  if (test.empty()) out += " none";
  for (const auto& id : test) out += " " + id;
  switch (base) {
    case base_kind::all: out += "; others: all on"; break;
    case base_kind::none: out += "; others: all off"; break;
    case base_kind::kernel: out += "; others: as in kernel " + base_kernel; break;
  }
  return out;
}

std::string fix_setting::describe() const {
  std::string out = on ? "on" : "off";
  for (const auto& [id, v] : overrides) out += fmt::format("+{}={}", id, v ? "on" : "off");
  return out;
}

std::string fix_setting::cli_args() const {
  std::string out = fmt::format("--fixes {}", on ? "on" : "off");
  for (const auto& [id, v] : overrides) out += fmt::format(" --fix {}={}", id, v ? "on" : "off");
  return out;
}

model::fix_set resolve_fixes(const fixes_spec& spec, const fix_setting& setting) {
  model::fix_set s;
  switch (spec.base) {
    case fixes_spec::base_kind::all: s = model::fix_set::all_on(); break;
    case fixes_spec::base_kind::none: s = model::fix_set::all_off(); break;
    case fixes_spec::base_kind::kernel: s = model::fix_set::for_kernel(spec.base_kernel); break;
  }
  for (const auto& id : spec.test) s.set(id, setting.on);
  for (const auto& [id, v] : setting.overrides) s.set(id, v);
  return s;
}

const char* to_string(strategy_kind k) { return search_of(k).name; }

std::optional<strategy_kind> parse_strategy(std::string_view s) {
  for (const auto& e : all_searches())
    if (e.name == s) return e.kind;
  return std::nullopt;
}

namespace {
constexpr sched::FindingKind kExpectable[] = {sched::FindingKind::Bug,       sched::FindingKind::Warn,
                                              sched::FindingKind::Assert,    sched::FindingKind::Violation,
                                              sched::FindingKind::Deadlock,  sched::FindingKind::StepLimit};
}

std::optional<sched::FindingKind> parse_finding_kind(std::string_view s) {
  for (auto k : kExpectable)
    if (s == sched::to_string(k)) return k;
  return std::nullopt;
}

std::vector<std::string> expectable_kind_names() {
  std::vector<std::string> out;
  for (auto k : kExpectable) out.emplace_back(sched::to_string(k));
  return out;
}

std::string expectation::describe() const {
  if (!violation) return "clean";
  std::string out = "violation";
  if (kind) out += fmt::format(" {}", sched::to_string(*kind));
  if (!message_contains.empty()) out += fmt::format(" containing \"{}\"", message_contains);
  return out;
}

}  // namespace fsrace::sim
