#include "sim/cli/common.hpp"

#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <fmt/format.h>

#include "model/fixes.hpp"
#include "sim/limits.hpp"
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

uint64_t parse_uint(const std::string& text, const std::string& flag, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || v < min || v > max)
    throw sim::input_error("", flag, fmt::format("expected an integer in {}..{}, got \"{}\"", min, max, text));
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
  for (const auto& ex : sc.expectations)  // the first expectation of that setting gives the defaults
    if (ex.fixes == setting) {
      s = ex.explore;
      break;
    }
  if (!f.strategy.empty()) {
    auto k = sim::parse_strategy(f.strategy);
    if (!k) throw sim::input_error("", "--strategy", fmt::format("expected random, pct, dfs or dpor, got \"{}\"", f.strategy));
    s.strategy = *k;
  }
  if (!f.seed.empty()) s.seed = parse_seed(f.seed, "--seed");
  if (f.runs) s.runs = *f.runs;
  if (f.max_steps) s.max_steps = *f.max_steps;
  if (f.depth) s.depth = *f.depth;
  if (f.preemptions) s.preemptions = *f.preemptions;
  return s;
}

std::unique_ptr<sim::scenario> load_scenario_arg(const std::string& file, const sim::catalogue& cat) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw sim::input_error(file, "", "is a directory; expected a JSON file (a scenario): `fsrace run " + file +
                                         "` runs every scenario in it, or name one file (" + file + "/NAME.json)");
  // A schedule file: say what it is and how it is used. Regular files only: opening a FIFO would block
  // (load_scenario refuses what is not a regular file).
  if (std::ifstream in; std::filesystem::is_regular_file(file, ec) && (in.open(file), in)) {
    char head[4096] = {};
    in.read(head, sizeof head - 1);
    if (std::string_view(head).find("\"fsrace_schedule\"") != std::string_view::npos)
      throw sim::input_error(file, "", "is a schedule file, not a scenario; replay it with `fsrace replay SCENARIO.json --schedule " +
                                           file + "`");
  }
  return sim::load_scenario(file, cat);
}

bool progress_enabled() { return !g_quiet && ::isatty(STDERR_FILENO); }
void set_quiet(bool q) { g_quiet = q; }
bool quiet() { return g_quiet; }

reports::junit_context junit_context() {
  reports::junit_context c;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  if (std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc)) c.timestamp = stamp;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) c.hostname = host;
  return c;
}

}  // namespace fsrace::cli
