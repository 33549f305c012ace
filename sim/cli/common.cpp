#include "sim/cli/common.hpp"

#include <charconv>
#include <unistd.h>

#include <fmt/format.h>

#include "model/fixes.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::cli {
namespace {
bool g_quiet = false;
}

void print_input_error(const sim::input_error& e) {
  for (const auto& d : e.diagnostics()) fmt::print(stderr, "fsrace: error: {}\n", d.to_string());
}

uint64_t parse_seed(const std::string& text, const std::string& flag) {
  uint64_t v = 0;
  std::string_view s = text;
  int base = 10;
  if (s.size() > 2 && (s.substr(0, 2) == "0x" || s.substr(0, 2) == "0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
    throw sim::input_error("", flag, fmt::format("expected an unsigned 64-bit integer (decimal or 0x hex), got \"{}\"", text));
  return v;
}

sim::fix_setting parse_fix_flags(const std::string& fixes, const std::vector<std::string>& fix, const sim::fix_setting& fallback) {
  sim::fix_setting s = fallback;
  if (!fixes.empty()) {
    auto on = sim::parse_on_off(fixes);
    if (!on) throw sim::input_error("", "--fixes", fmt::format("expected on or off, got \"{}\"", fixes));
    s.on = *on;
    s.overrides.clear();
  }
  for (const auto& f : fix) {
    const auto eq = f.find('=');
    const std::string id = f.substr(0, eq);
    const auto on = eq == std::string::npos ? std::nullopt : sim::parse_on_off(f.substr(eq + 1));
    if (!on) throw sim::input_error("", "--fix", fmt::format("expected ID=on or ID=off, got \"{}\"", f));
    if (!model::find_fix(id)) {
      std::vector<std::string> ids;
      for (const auto& info : model::all_fixes()) ids.emplace_back(info.id);
      throw sim::input_error("", "--fix", fmt::format("unknown fix \"{}\"{}; `fsrace list` shows the fixes", id, sim::did_you_mean(id, ids)));
    }
    s.overrides.emplace_back(id, *on);
  }
  return s;
}

sim::explore_settings settings_for(const sim::scenario& sc, const sim::fix_setting& setting, const explore_flags& f) {
  sim::explore_settings s = sc.explore;
  for (const auto& ex : sc.expectations)
    if (ex.fixes == setting) s = ex.explore;
  if (!f.strategy.empty()) {
    auto k = sim::parse_strategy(f.strategy);
    if (!k) throw sim::input_error("", "--strategy", fmt::format("expected random, pct or dfs, got \"{}\"", f.strategy));
    s.strategy = *k;
  }
  if (!f.seed.empty()) s.seed = parse_seed(f.seed, "--seed");
  if (f.runs) {
    if (*f.runs == 0) throw sim::input_error("", "--runs", "expected at least 1 execution, got 0");
    s.runs = *f.runs;
  }
  if (f.max_steps) {
    if (*f.max_steps == 0) throw sim::input_error("", "--max-steps", "expected at least 1 step, got 0");
    s.max_steps = *f.max_steps;
  }
  if (f.depth) {
    if (*f.depth == 0 || *f.depth > 16) throw sim::input_error("", "--depth", fmt::format("expected 1..16, got {}", *f.depth));
    s.depth = *f.depth;
  }
  if (f.preemptions) {
    if (*f.preemptions > 16) throw sim::input_error("", "--preemptions", fmt::format("expected 0..16, got {}", *f.preemptions));
    s.preemptions = *f.preemptions;
  }
  return s;
}

bool progress_enabled() { return !g_quiet && ::isatty(STDERR_FILENO); }
void set_quiet(bool q) { g_quiet = q; }

}  // namespace fsrace::cli
