#include "reports/json_report.hpp"

#include <fmt/format.h>

namespace fsrace::reports {
namespace {

// Strict getters: a missing key or a value of another type names its JSON pointer.
const nlohmann::json& member(const nlohmann::json& j, const std::string& path, const char* key, const char* expected) {
  if (!j.is_object()) throw json_report_error(path.empty() ? "/" : path, "expected an object");
  const auto it = j.find(key);
  if (it == j.end()) throw json_report_error(path + "/" + key, fmt::format("missing: expected {}", expected));
  return *it;
}

// A count or index: an integer that is not negative (JSON text reads as unsigned, built values may be signed).
bool is_count(const nlohmann::json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

std::string got(const nlohmann::json& v) {
  const std::string text = v.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

std::string str(const nlohmann::json& j, const std::string& path, const char* key) {
  const auto& v = member(j, path, key, "a string");
  if (!v.is_string()) throw json_report_error(path + "/" + key, "expected a string, got " + got(v));
  return v.get<std::string>();
}

uint64_t uint(const nlohmann::json& j, const std::string& path, const char* key) {
  const auto& v = member(j, path, key, "an unsigned integer");
  if (!is_count(v)) throw json_report_error(path + "/" + key, "expected an unsigned integer, got " + got(v));
  return v.get<uint64_t>();
}

const nlohmann::json& array(const nlohmann::json& j, const std::string& path, const char* key) {
  const auto& v = member(j, path, key, "an array");
  if (!v.is_array()) throw json_report_error(path + "/" + key, "expected an array, got " + got(v));
  return v;
}

}  // namespace

nlohmann::json to_json(const trace_record& t) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : t.steps) steps.push_back({s.index, s.thread, s.label});
  nlohmann::json folds = nlohmann::json::array();
  for (const auto& f : t.folds) {
    nlohmann::json by = nlohmann::json::array();
    for (const auto& [thread, n] : f.threads) by.push_back({thread, n});
    folds.push_back({{"first", f.first}, {"end", f.end}, {"threads", by}});
  }
  return {{"threads", t.threads},
          {"total_steps", t.total_steps},
          {"violating", t.violating ? nlohmann::json(*t.violating) : nlohmann::json(nullptr)},
          {"note", t.note},
          {"steps", steps},
          {"preemptions", t.preemptions},
          {"folds", folds},
          {"finding_objects", t.finding_objects}};
}

nlohmann::json to_json(const label_coverage_result& l) {
  if (!l.present) return nullptr;
  nlohmann::json threads = nlohmann::json::object();
  for (const auto& [thread, kinds] : l.threads) threads[thread] = kinds;
  nlohmann::json never = nlohmann::json::array();
  for (const auto& [x, y] : l.never_reordered) never.push_back({x, y});
  nlohmann::json j = {{"threads", threads}, {"truncated", l.truncated}};
  if (l.pairs_known)
    j["pairs"] = {{"ordered", l.pairs_ordered}, {"reordered", l.pairs_reordered},
                  {"never_reordered", l.never_reordered_total}, {"never_reordered_listed", never}};
  else
    j["pairs"] = nullptr;
  if (l.with_pairs && l.pairs_known) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [x, y] : l.ordered) all.push_back({x, y});
    j["ordered_pairs"] = all;
  }
  return j;
}

label_coverage_result label_coverage_from_json(const nlohmann::json& j, const std::string& path) {
  label_coverage_result l;
  if (j.is_null()) return l;
  if (!j.is_object()) throw json_report_error(path, "expected an object or null, got " + got(j));
  l.present = true;
  const auto& threads = member(j, path, "threads", "an object of thread names");
  if (!threads.is_object()) throw json_report_error(path + "/threads", "expected an object, got " + got(threads));
  for (const auto& [thread, kinds] : threads.items()) {
    std::vector<std::string> list;
    if (!kinds.is_array()) throw json_report_error(path + "/threads/" + thread, "expected an array of labels, got " + got(kinds));
    for (size_t i = 0; i < kinds.size(); ++i) {
      if (!kinds[i].is_string())
        throw json_report_error(fmt::format("{}/threads/{}/{}", path, thread, i), "expected a string, got " + got(kinds[i]));
      list.push_back(kinds[i].get<std::string>());
    }
    l.threads.emplace_back(thread, std::move(list));
  }
  if (j.contains("truncated") && j["truncated"].is_boolean()) l.truncated = j["truncated"].get<bool>();
  const auto& pairs = member(j, path, "pairs", "an object or null");
  l.pairs_known = !pairs.is_null();
  if (l.pairs_known) {
    const std::string at = path + "/pairs";
    l.pairs_ordered = uint(pairs, at, "ordered");
    l.pairs_reordered = uint(pairs, at, "reordered");
    l.never_reordered_total = uint(pairs, at, "never_reordered");
    const auto& listed = member(pairs, at, "never_reordered_listed", "an array of label pairs");
    if (!listed.is_array()) throw json_report_error(at + "/never_reordered_listed", "expected an array, got " + got(listed));
    for (size_t i = 0; i < listed.size(); ++i) {
      const auto& p = listed[i];
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
        throw json_report_error(fmt::format("{}/never_reordered_listed/{}", at, i), "expected [\"thread: label\", \"thread: label\"], got " + got(p));
      l.never_reordered.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    }
  }
  if (j.contains("ordered_pairs")) {
    const auto& all = j["ordered_pairs"];
    if (!all.is_array()) throw json_report_error(path + "/ordered_pairs", "expected an array, got " + got(all));
    for (size_t i = 0; i < all.size(); ++i) {
      const auto& p = all[i];
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
        throw json_report_error(fmt::format("{}/ordered_pairs/{}", path, i), "expected [\"thread: label\", \"thread: label\"], got " + got(p));
      l.ordered.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    }
    l.with_pairs = true;
  }
  return l;
}

nlohmann::json to_json(const case_result& c) {
  nlohmann::json v = nlohmann::json::array();
  for (const auto& x : c.violations) {
    nlohmann::json e = {{"seed", x.seed},
                        {"kind", x.kind},
                        {"message", x.message},
                        {"execution", x.execution},
                        {"occurrences", x.occurrences},
                        {"steps", x.steps},
                        {"preemptions", x.preemptions},
                        {"replay", x.replay_command}};
    if (!x.found_replay_command.empty()) e["replay_as_found"] = x.found_replay_command;
    if (!x.shrink_note.empty()) e["shrunk"] = x.shrink_note;
    if (!x.diagram.empty()) e["diagram"] = x.diagram;
    if (x.trace) e["trace"] = to_json(*x.trace);
    v.push_back(std::move(e));
  }
  return {{"ordinal", c.ordinal},
          {"scenario", c.scenario},
          {"file", c.file},
          {"fixes", c.fixes},
          {"expected", c.expected},
          {"strategy", c.strategy},
          {"base_seed", c.base_seed},
          {"executions", c.executions},
          {"violating_executions", c.violating_executions},
          {"exhausted", c.exhausted},
          {"estimated_executions", c.estimated_executions},
          {"estimate_error", c.estimate_error},
          {"estimate_settled", c.estimate_settled},
          {"coverage", c.coverage},
          {"status", to_string(c.result)},
          {"reason", c.reason},
          {"seconds", c.seconds},
          {"interrupted", c.interrupted},
          {"violations", v},
          {"label_coverage", to_json(c.labels)}};
}

nlohmann::json to_json(const suite_result& s) {
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& c : s.cases) cases.push_back(to_json(c));
  return {{"summary", {{"cases", s.cases.size()}, {"passed", s.passed()}, {"failed", s.failed()}, {"errors", s.errors()}}},
          {"interrupted", s.interrupted},
          {"cases", cases}};
}

trace_record trace_from_json(const nlohmann::json& j, const std::string& path) {
  trace_record t;
  const auto& threads = array(j, path, "threads");
  for (size_t i = 0; i < threads.size(); ++i) {
    if (!threads[i].is_string()) throw json_report_error(fmt::format("{}/threads/{}", path, i), "expected a thread name");
    t.threads.push_back(threads[i].get<std::string>());
  }
  t.total_steps = uint(j, path, "total_steps");
  const auto& violating = member(j, path, "violating", "a step index or null");
  if (is_count(violating)) t.violating = violating.get<uint64_t>();
  else if (!violating.is_null()) throw json_report_error(path + "/violating", "expected a step index or null, got " + got(violating));
  t.note = str(j, path, "note");
  const auto& steps = array(j, path, "steps");
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    const std::string at = fmt::format("{}/steps/{}", path, i);
    if (!s.is_array() || s.size() != 3 || !is_count(s[0]) || !is_count(s[1]) || !s[2].is_string())
      throw json_report_error(at, "expected [step index, thread index, \"label\"], got " + got(s));
    const uint64_t thread = s[1].get<uint64_t>();
    if (thread >= t.threads.size())
      throw json_report_error(at + "/1", fmt::format("expected a thread index below {}, got {}", t.threads.size(), thread));
    trace_record::step step{s[0].get<uint64_t>(), static_cast<uint32_t>(thread), s[2].get<std::string>()};
    if (step.index >= t.total_steps || (!t.steps.empty() && step.index <= t.steps.back().index))
      throw json_report_error(at + "/0", fmt::format("expected steps in execution order below total_steps {}, got {}",
                                                     t.total_steps, step.index));
    t.steps.push_back(std::move(step));
  }
  // Optional (results written before race windows have none).
  if (j.contains("preemptions")) {
    const auto& p = array(j, path, "preemptions");
    for (size_t i = 0; i < p.size(); ++i) {
      if (!is_count(p[i]) || p[i].get<uint64_t>() >= t.total_steps)
        throw json_report_error(fmt::format("{}/preemptions/{}", path, i), "expected a step index below total_steps, got " + got(p[i]));
      t.preemptions.push_back(p[i].get<uint64_t>());
    }
  }
  if (j.contains("folds")) {
    const auto& folds = array(j, path, "folds");
    for (size_t i = 0; i < folds.size(); ++i) {
      const std::string at = fmt::format("{}/folds/{}", path, i);
      trace_record::fold f;
      f.first = uint(folds[i], at, "first");
      f.end = uint(folds[i], at, "end");
      if (f.first >= f.end || f.end > t.total_steps)
        throw json_report_error(at, fmt::format("expected first < end <= total_steps {}", t.total_steps));
      const auto& by = array(folds[i], at, "threads");
      for (size_t k = 0; k < by.size(); ++k) {
        if (!by[k].is_array() || by[k].size() != 2 || !is_count(by[k][0]) || !is_count(by[k][1]) ||
            by[k][0].get<uint64_t>() >= t.threads.size())
          throw json_report_error(fmt::format("{}/threads/{}", at, k), "expected [thread index, steps], got " + got(by[k]));
        f.threads.emplace_back(static_cast<uint32_t>(by[k][0].get<uint64_t>()), by[k][1].get<uint64_t>());
      }
      t.folds.push_back(std::move(f));
    }
  }
  if (j.contains("finding_objects")) {
    const auto& objs = array(j, path, "finding_objects");
    for (size_t i = 0; i < objs.size(); ++i) {
      if (!objs[i].is_string()) throw json_report_error(fmt::format("{}/finding_objects/{}", path, i), "expected a string");
      t.finding_objects.push_back(objs[i].get<std::string>());
    }
  }
  return t;
}

case_result case_from_json(const nlohmann::json& j, const std::string& path) {
  case_result c;
  c.ordinal = uint(j, path, "ordinal");
  c.scenario = str(j, path, "scenario");
  c.file = str(j, path, "file");
  c.fixes = str(j, path, "fixes");
  c.expected = str(j, path, "expected");
  c.strategy = str(j, path, "strategy");
  c.base_seed = uint(j, path, "base_seed");
  c.executions = uint(j, path, "executions");
  c.violating_executions = uint(j, path, "violating_executions");
  const auto& exhausted = member(j, path, "exhausted", "true or false");
  if (!exhausted.is_boolean()) throw json_report_error(path + "/exhausted", "expected true or false, got " + got(exhausted));
  c.exhausted = exhausted.get<bool>();
  // Results written before coverage was reported have neither key.
  if (j.contains("estimated_executions") && j["estimated_executions"].is_number())
    c.estimated_executions = j["estimated_executions"].get<double>();
  if (j.contains("estimate_error") && j["estimate_error"].is_number()) c.estimate_error = j["estimate_error"].get<double>();
  if (j.contains("estimate_settled") && j["estimate_settled"].is_boolean()) c.estimate_settled = j["estimate_settled"].get<bool>();
  if (j.contains("coverage") && j["coverage"].is_string()) c.coverage = j["coverage"].get<std::string>();
  if (j.contains("label_coverage")) c.labels = label_coverage_from_json(j["label_coverage"], path + "/label_coverage");
  const std::string st = str(j, path, "status");
  if (st == "pass") c.result = case_result::status::pass;
  else if (st == "fail") c.result = case_result::status::fail;
  else if (st == "error") c.result = case_result::status::error;
  else throw json_report_error(path + "/status", "expected \"pass\", \"fail\" or \"error\", got \"" + st + "\"");
  c.reason = str(j, path, "reason");
  const auto& seconds = member(j, path, "seconds", "a number");
  if (!seconds.is_number()) throw json_report_error(path + "/seconds", "expected a number, got " + got(seconds));
  c.seconds = seconds.get<double>();
  if (j.contains("interrupted")) {
    if (!j["interrupted"].is_boolean()) throw json_report_error(path + "/interrupted", "expected true or false, got " + got(j["interrupted"]));
    c.interrupted = j["interrupted"].get<bool>();
  }
  const auto& violations = array(j, path, "violations");
  for (size_t i = 0; i < violations.size(); ++i) {
    const auto& x = violations[i];
    const std::string at = fmt::format("{}/violations/{}", path, i);
    violation_entry e;
    e.seed = uint(x, at, "seed");
    e.kind = str(x, at, "kind");
    e.message = str(x, at, "message");
    e.execution = uint(x, at, "execution");
    e.occurrences = uint(x, at, "occurrences");
    e.steps = uint(x, at, "steps");
    e.preemptions = uint(x, at, "preemptions");
    e.replay_command = str(x, at, "replay");
    if (x.contains("diagram")) e.diagram = str(x, at, "diagram");
    if (x.contains("replay_as_found")) e.found_replay_command = str(x, at, "replay_as_found");
    if (x.contains("shrunk")) e.shrink_note = str(x, at, "shrunk");
    if (x.contains("trace")) e.trace = trace_from_json(x["trace"], at + "/trace");
    c.violations.push_back(std::move(e));
  }
  return c;
}

suite_result suite_from_json(const nlohmann::json& j) {
  suite_result s;
  const auto& cases = array(j, "", "cases");
  for (size_t i = 0; i < cases.size(); ++i) s.cases.push_back(case_from_json(cases[i], fmt::format("/cases/{}", i)));
  if (j.contains("interrupted") && j["interrupted"].is_boolean()) s.interrupted = j["interrupted"].get<bool>();
  return s;
}

}  // namespace fsrace::reports
