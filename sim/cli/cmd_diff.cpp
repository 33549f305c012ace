// fsrace diff: where two executions part. The same scenario under two fix settings or two seeds, or two
// schedule files: the steps they share, the step where they part, each side's next steps and ending.
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {
namespace {

struct side {
  std::string title;
  std::vector<std::pair<std::string, std::string>> steps;  // (thread, label)
  std::string ending;
};

side side_of(const std::string& title, const sched::Execution& ex) {
  side s{title, {}, {}};
  for (const auto& st : ex.trace)
    s.steps.emplace_back(st.fiber < ex.fiber_names.size() ? ex.fiber_names[st.fiber] : "?", sched::format_label(st.label));
  s.ending = ex.finding.kind == sched::FindingKind::None ? std::string("clean")
                                                         : fmt::format("{}: {}", sched::to_string(ex.finding.kind), ex.finding.message);
  return s;
}

// A schedule file's steps, read without its scenario (diff compares what was recorded).
side side_of_schedule(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw sim::input_error(file, "", "cannot open the file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw sim::input_error(file, "", fmt::format("not JSON: {}", e.what()));
  }
  if (!doc.is_object() || !doc.contains("fsrace_schedule"))
    throw sim::input_error(file, "", "expected a schedule file (an object with \"fsrace_schedule\"), as --save-schedule writes");
  if (!doc.contains("steps") || !doc["steps"].is_array()) throw sim::input_error(file, "/steps", "expected an array of steps");
  side s{file, {}, "as recorded"};
  const auto& steps = doc["steps"];
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& st = steps[i];
    if (!st.is_object() || !st.contains("thread") || !st["thread"].is_string() || !st.contains("label") || !st["label"].is_string())
      throw sim::input_error(file, fmt::format("/steps/{}", i), "expected {\"thread\": name, \"label\": text}");
    s.steps.emplace_back(st["thread"].get<std::string>(), st["label"].get<std::string>());
  }
  if (doc.contains("finding") && doc["finding"].is_object() && doc["finding"].contains("message") && doc["finding"]["message"].is_string())
    s.ending = fmt::format("{}: {}", doc["finding"].value("kind", std::string("finding")), doc["finding"]["message"].get<std::string>());
  return s;
}

std::string step_line(uint64_t i, const std::pair<std::string, std::string>& st) {
  return fmt::format("  {:>6}  {:<14} {}\n", i, st.first, st.second);
}

}  // namespace

int cmd_diff(const diff_args& a) {
  side left, right;
  if (!a.second.empty()) {
    if (!a.seeds.empty() || !a.fixes.empty() || !a.strategy.empty())
      throw sim::input_error("", "--seed", "two schedule files are compared as recorded; drop --seed, --fixes and --strategy");
    left = side_of_schedule(a.file);
    right = side_of_schedule(a.second);
  } else {
    if (a.seeds.empty()) throw sim::input_error("", "--seed", "diff of a scenario needs --seed S (twice for two seeds), or give two schedule files");
    if (a.seeds.size() == 2 && a.fixes.size() == 2)
      throw sim::input_error("", "--fixes", "vary one thing: two --seed with one --fixes, or one --seed with --fixes off --fixes on");
    if (a.seeds.size() < 2 && a.fixes.size() < 2)
      throw sim::input_error("", "--seed", "nothing to compare: give --seed twice, or --fixes twice (--fixes off --fixes on)");
    const sim::binding& b = sim::default_binding();
    auto sc = load_scenario_arg(a.file, *b.cat);
    sim::prepared_scenario prepared(*sc, b);
    explore_flags f;
    f.strategy = a.strategy;
    f.depth = a.depth;
    f.preemptions = a.preemptions;
    f.max_steps = a.max_steps;
    const std::string f0 = a.fixes.empty() ? "off" : a.fixes[0];
    // One exploration for both sides, A's (its expectation's strategy, as explore printed the seed): with
    // the fixes on a scenario often explores with dfs, where a pct seed means nothing.
    const sim::explore_settings s = settings_for(*sc, parse_fix_flags(f0, {}, sim::fix_setting{false, {}}), f);
    auto run_side = [&](const std::string& seed, const std::string& fixes) {
      const sim::fix_setting setting = parse_fix_flags(fixes, {}, sim::fix_setting{false, {}});
      const uint64_t key = parse_seed(seed, "--seed");
      return side_of(fmt::format("{} seed {}, fixes {}", sim::describe_strategy(s), key, setting.describe()),
                     sim::replay_key(prepared, s, setting, key));
    };
    left = run_side(a.seeds[0], f0);
    right = run_side(a.seeds.size() == 2 ? a.seeds[1] : a.seeds[0], a.fixes.size() == 2 ? a.fixes[1] : f0);
  }
  size_t common = 0;
  while (common < left.steps.size() && common < right.steps.size() && left.steps[common] == right.steps[common]) ++common;
  fmt::print("A: {}: {} steps, ends {}\nB: {}: {} steps, ends {}\n\n", left.title, left.steps.size(), left.ending, right.title,
             right.steps.size(), right.ending);
  if (common == left.steps.size() && common == right.steps.size()) {
    fmt::print("the same {} steps{}\n", common, left.ending == right.ending ? ", the same ending" : "; they end differently");
    return left.ending == right.ending ? kClean : kViolation;
  }
  fmt::print("they agree on the first {} step{}", common, common == 1 ? "" : "s");
  if (common) {
    fmt::print(", the last of them:\n");
    for (size_t i = common > a.context ? common - a.context : 0; i < common; ++i) fmt::print("{}", step_line(i, left.steps[i]));
  } else {
    fmt::print("\n");
  }
  auto show = [&](const char* name, const side& s) {
    if (common >= s.steps.size()) {
      fmt::print("\n{} ends there ({} steps): {}\n", name, s.steps.size(), s.ending);
      return;
    }
    fmt::print("\n{} goes on with:\n", name);
    const size_t end = std::min(s.steps.size(), common + std::max<size_t>(a.context, 1));
    for (size_t i = common; i < end; ++i) fmt::print("{}", step_line(i, s.steps[i]));
    if (end < s.steps.size()) fmt::print("  ... {} more step{} to the end: {}\n", s.steps.size() - end, s.steps.size() - end == 1 ? "" : "s", s.ending);
    else fmt::print("  (the end: {})\n", s.ending);
  };
  fmt::print("\nthey part at step {}:\n", common);
  show("A", left);
  show("B", right);
  return kViolation;  // they differ
}

}  // namespace fsrace::cli
