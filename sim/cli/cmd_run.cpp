#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "reports/console.hpp"
#include "reports/html.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"
#include "sim/suite.hpp"
#include "sim/interrupt.hpp"
#include "sim/cli/progress.hpp"

namespace fsrace::cli {

int cmd_run(const run_args& a) {
  const sim::binding& b = sim::default_binding();
  check_output_paths({{"--junit", a.junit}, {"--json", a.json}, {"--html", a.html}});  // before anything runs
  std::vector<std::string> paths = a.paths;
  if (paths.empty()) {  // ./scenarios of the current directory, else the directory this fsrace was built with: said either way
    std::error_code ec;
    const std::string dir = std::filesystem::is_directory("scenarios", ec) ? "scenarios" : FSRACE_SCENARIO_DIR;
    paths.push_back(dir);
    if (std::filesystem::is_directory(dir + "/soak", ec)) paths.push_back(dir + "/soak");
    if (dir != "scenarios")
      fmt::print(stderr, "fsrace run: no paths given and no ./scenarios here: running the scenarios of this build, {}\n", dir);
  }
  const std::vector<std::string> files = sim::find_scenarios(paths);
  if (files.empty()) throw sim::input_error("", "", "no scenario files (*.json) found under the paths given");
  if (a.paths.empty() && !quiet()) fmt::print(stderr, "fsrace run: {} scenario file{} from {}\n", files.size(), files.size() == 1 ? "" : "s", paths.front());
  // Validate everything first: bad input is reported all at once, before any exploration.
  std::vector<std::unique_ptr<sim::scenario>> scenarios;
  std::vector<sim::diagnostic> problems;
  std::map<std::string, std::string> names;
  for (const auto& f : files) {
    try {
      auto sc = load_scenario_arg(f, *b.cat);
      if (auto [it, fresh] = names.emplace(sc->name, f); !fresh)
        problems.push_back({f, "/name", fmt::format("scenario name \"{}\" is also used by {}", sc->name, it->second)});
      scenarios.push_back(std::move(sc));
    } catch (const sim::input_error& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (!problems.empty()) throw sim::input_error(std::move(problems));

  std::optional<sim::shard_spec> shard;
  if (!a.shard.empty()) shard = sim::parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
  reports::suite_result suite;
  uint64_t ordinal = 0;
  for (const auto& sc : scenarios) {
    std::optional<sim::prepared_scenario> prepared;  // built only if this shard has one of its cases
    for (const auto& ex : sc->expectations) {
      if (sim::interrupt_requested()) break;
      const uint64_t case_ordinal = ordinal++;
      if (shard && !sim::shard_owns_case(case_ordinal, *shard)) continue;
      if (!prepared) prepared.emplace(*sc, b);
      spdlog::debug("{}: fixes {}: expecting {}", sc->name, ex.fixes.describe(), ex.describe());
      sim::show_options o;
      o.diagrams = true;
      o.diagram_steps = a.diagram_steps;
      o.shrink = !a.no_shrink;
      o.shrink_budget = a.shrink_budget;
      o.shrink_seconds = a.shrink_seconds;
      const std::string what = fmt::format("{} fixes={}", sc->name, ex.fixes.describe());
      std::optional<progress_line> progress(std::in_place, what, ex.explore.runs);
      o.progress = [&](uint64_t done, uint64_t violations) { progress->update(done, violations); };
      std::optional<shrink_line> shrinking;
      o.shrink_progress = [&](uint64_t n, uint64_t p, uint64_t st, const char* phase) {
        if (progress) progress.reset();
        if (!shrinking) shrinking.emplace(what);
        shrinking->update(n, p, st, phase);
      };
      suite.cases.push_back(sim::check_expectation(*prepared, ex, o, a.jobs, a.time_budget));
      progress.reset();
      shrinking.reset();
      suite.cases.back().ordinal = case_ordinal;
      if (suite.cases.back().interrupted) suite.interrupted = true;
      if (!quiet()) fmt::print(stderr, "{}\n", reports::console_line(suite.cases.back()));
    }
  }
  if (sim::interrupt_requested()) suite.interrupted = true;
  // One report that cannot be written (the disk filled, the path changed meanwhile) costs no other.
  std::vector<sim::diagnostic> unwritten;
  auto write = [&](const std::string& flag, const std::string& path, auto render) {
    if (path.empty()) return;
    try {
      write_report_file(flag, path, render());
    } catch (const sim::input_error& e) {
      unwritten.insert(unwritten.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  };
  write("--junit", a.junit, [&] { return reports::to_junit(suite, "fsrace", junit_context()); });
  write("--html", a.html, [&] { return reports::render_html(suite, {"fsrace run"}); });
  write("--json", a.json, [&] {
    nlohmann::json j = reports::to_json(suite);
    j["shard"] = shard ? nlohmann::json(shard->describe()) : nlohmann::json(nullptr);
    return j.dump(2) + "\n";
  });
  fmt::print("{}", reports::console_summary(suite));
  if (suite.interrupted) {
    fmt::print("INTERRUPTED: the cases above ran (the last one possibly in part); the reports written say so\n");
    if (unwritten.empty()) return kInterrupted;
  }
  if (!unwritten.empty()) throw sim::input_error(std::move(unwritten));
  if (suite.errors()) return kToolError;
  return suite.failed() ? kViolation : kClean;
}

}  // namespace fsrace::cli
