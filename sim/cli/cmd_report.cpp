// `fsrace report`: renders the --json results of run, explore and merge (several files make one page).
#include <fmt/format.h>

#include "reports/console.hpp"
#include "reports/html.hpp"
#include "reports/json_report.hpp"
#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::cli {

void write_report_file(const std::string& flag, const std::string& path, const std::string& content) {
  try {
    reports::write_file_atomic(path, content);
  } catch (const std::runtime_error& e) {  // a directory that does not exist, no permission: the user's to fix
    throw sim::input_error("", flag, e.what());
  }
}

void check_output_paths(const std::vector<std::pair<std::string, std::string>>& flag_paths) {
  std::vector<sim::diagnostic> problems;
  for (size_t i = 0; i < flag_paths.size(); ++i) {
    const auto& [flag, path] = flag_paths[i];
    if (path.empty()) continue;
    try {
      reports::check_output_path(path);
    } catch (const reports::output_path_error& e) {
      problems.push_back({"", flag, e.what()});
    }
    for (size_t j = 0; j < i; ++j)
      if (flag_paths[j].second == path)
        problems.push_back({"", flag, fmt::format("{} is also the path of {}; give each output its own file", path,
                                                  flag_paths[j].first)});
  }
  if (!problems.empty()) throw sim::input_error(std::move(problems));
}

namespace {

// A suite (run --json, merge of suites) has "cases"; an exploration (explore --json, merge of explore
// shards) is one case with a "result".
std::vector<reports::case_result> cases_of(const nlohmann::json& doc, const std::string& file) {
  try {
    if (doc.is_object() && doc.contains("cases")) return reports::suite_from_json(doc).cases;
    if (doc.is_object() && doc.contains("result") && doc.contains("scenario")) return {reports::case_from_json(doc)};
  } catch (const reports::json_report_error& e) {
    throw sim::input_error(file, e.path(), e.expectation());
  }
  throw sim::input_error(file, "", "expected the --json result of fsrace run, explore or merge: an object with \"cases\" "
                                   "(a suite) or with \"scenario\" and \"result\" (an exploration)");
}

}  // namespace

int cmd_report(const report_args& a) {
  check_output_paths({{"--html", a.html}});
  reports::suite_result all;
  for (const auto& f : a.files) {
    auto cases = cases_of(sim::read_json_file(f, sim::result_file_limits("a result file")), f);
    all.cases.insert(all.cases.end(), std::make_move_iterator(cases.begin()), std::make_move_iterator(cases.end()));
  }
  if (!a.html.empty()) {
    std::string origin = "from";
    for (size_t i = 0; i < a.files.size(); ++i) origin += (i ? ", " : " ") + a.files[i];
    write_report_file("--html", a.html, reports::render_html(all, {origin}));
  }
  fmt::print("{}", reports::console_summary(all));
  return kClean;
}

}  // namespace fsrace::cli
