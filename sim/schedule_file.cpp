#include "sim/schedule_file.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sim/json_view.hpp"
#include "sim/limits.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::sim {

schedule schedule_of(const scenario& sc, const fix_setting& fixes, const sched::Execution& ex, std::string origin) {
  if (ex.trace.size() != ex.decisions.size()) throw tool_error("schedule_of: the execution was recorded without its trace");
  schedule s;
  s.scenario = sc.name;
  s.fixes = fixes;
  for (const auto& th : sc.threads) s.threads.push_back(th.name);
  for (size_t f = s.threads.size(); f < ex.fiber_names.size(); ++f) s.spawned.push_back(ex.fiber_names[f]);
  for (const auto& step : ex.trace) {
    if (step.fiber >= s.threads.size() + s.spawned.size()) throw tool_error("schedule_of: a step of a fiber without a name");
    s.decisions.push_back(step.fiber);
    s.label_hashes.push_back(sched::label_hash(step.label));
    s.labels.push_back(sched::format_label(step.label));
  }
  if (ex.finding.kind != sched::FindingKind::None) s.finding = ex.finding;
  s.origin = std::move(origin);
  return s;
}

nlohmann::json to_json(const schedule& s) {
  nlohmann::json fix = nlohmann::json::object();
  for (const auto& [id, on] : s.fixes.overrides) fix[id] = on ? "on" : "off";
  nlohmann::json steps = nlohmann::json::array();
  for (size_t i = 0; i < s.decisions.size(); ++i) {
    const size_t f = s.decisions[i];
    nlohmann::json step = {{"thread", f < s.threads.size() ? s.threads[f] : s.spawned.at(f - s.threads.size())}};
    if (f >= s.threads.size()) step["fiber"] = f;  // a kernel worker: its name may be shared
    step["label"] = s.labels[i];
    step["hash"] = fmt::format("{:016x}", s.label_hashes[i]);
    steps.push_back(std::move(step));
  }
  nlohmann::json j = {{"fsrace_schedule", 1}, {"scenario", s.scenario}, {"fixes", s.fixes.on ? "on" : "off"},
                      {"fix", fix},           {"threads", s.threads},   {"steps", steps}};
  if (s.finding)
    j["finding"] = {{"kind", sched::to_string(s.finding->kind)}, {"message", s.finding->message}};
  if (!s.origin.empty()) j["origin"] = s.origin;
  return j;
}

schedule parse_schedule(const nlohmann::json& doc, const std::string& file, const scenario& sc) {
  diagnostics_sink sink(file);
  schedule s;
  object_view top(sink, doc, "", "a schedule file");
  if (!top.valid()) sink.throw_if_any();
  if (const auto* v = top.required("fsrace_schedule", "the format version, 1"))
    if (!(v->is_number_integer() && v->get<int64_t>() == 1))
      sink.error("/fsrace_schedule", "expected format version 1, got {}", describe_json(*v));
  if (const auto* v = top.required("scenario", "the name of the scenario it was recorded with"))
    if (get_string(sink, *v, "/scenario", s.scenario, "a scenario name") && s.scenario != sc.name)
      sink.error("/scenario", "the schedule was recorded for scenario \"{}\", but it is replayed with \"{}\" ({})",
                 s.scenario, sc.name, sc.file);
  if (const auto* v = top.required("fixes", "\"on\" or \"off\"")) {
    std::string str;
    if (get_string(sink, *v, "/fixes", str, "\"on\" or \"off\"")) {
      if (auto b = parse_on_off(str)) s.fixes.on = *b;
      else sink.error("/fixes", "expected \"on\" or \"off\", got \"{}\"", str);
    }
  }
  if (const auto* v = top.optional("fix")) {
    object_view fo(sink, *v, "/fix", "per-fix overrides {\"<fix id>\": \"on\"|\"off\"}");
    if (fo.valid())
      for (auto it = v->begin(); it != v->end(); ++it) {
        fo.optional(it.key());
        std::string str;
        if (!model::find_fix(it.key())) sink.error(fo.child(it.key()), "unknown fix \"{}\"", it.key());
        else if (get_string(sink, it.value(), fo.child(it.key()), str, "\"on\" or \"off\"")) {
          if (auto b = parse_on_off(str)) s.fixes.overrides.emplace_back(it.key(), *b);
          else sink.error(fo.child(it.key()), "expected \"on\" or \"off\", got \"{}\"", str);
        }
      }
  }
  if (const auto* v = top.required("threads", "the scenario's thread names, in order")) {
    std::vector<std::string> expected;
    for (const auto& th : sc.threads) expected.push_back(th.name);
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const auto& x) { return x.is_string(); }))
      sink.error("/threads", "expected an array of thread names, got {}", describe_json(*v));
    else if (v->get<std::vector<std::string>>() != expected)
      sink.error("/threads", "expected the scenario's threads {}, got {} (the scenario changed since the recording)",
                 nlohmann::json(expected).dump(), v->dump());
    else
      s.threads = expected;
  }
  if (const auto* v = top.required("steps", "the recorded steps [{\"thread\", \"label\", \"hash\"}]")) {
    if (!v->is_array() || v->empty()) {
      sink.error("/steps", "expected a non-empty array of steps, got {}", describe_json(*v));
    } else if (v->size() > limits::kScheduleSteps) {
      sink.error("/steps", "{} steps; the limit of a schedule is {} (the step limit of an execution)", v->size(),
                 limits::kScheduleSteps);
    } else {
      // A thread the scenario lacks (renamed since the recording) is named once, with how many steps name it.
      std::vector<std::pair<std::string, std::string>> unknown_threads;  // (name, path of its first step)
      std::vector<uint64_t> unknown_steps;
      for (size_t i = 0; i < v->size(); ++i) {
        const std::string path = json_child("/steps", i);
        object_view st(sink, (*v)[i], path, "a step {\"thread\", \"label\", \"hash\"}");
        if (!st.valid()) continue;
        std::string thread, label, hash;
        const auto* t = st.required("thread", "the name of the thread that ran the step");
        const auto* l = st.required("label", "the step's label");
        // Informational since replay compares whole labels; still checked when present.
        const auto* h = st.optional("hash");
        const auto* fb = st.optional("fiber");
        st.reject_unknown("a step");
        if (!t || !l) continue;
        if (!get_string(sink, *t, st.child("thread"), thread, "a thread name") ||
            !get_string(sink, *l, st.child("label"), label, "the step's label") ||
            (h && !get_string(sink, *h, st.child("hash"), hash, "16 hex digits")))
          continue;
        uint64_t hv = 0;
        if (h) {
          auto [p, ec] = std::from_chars(hash.data(), hash.data() + hash.size(), hv, 16);
          if (hash.size() != 16 || ec != std::errc{} || p != hash.data() + hash.size()) {
            sink.error(st.child("hash"), "expected 16 hex digits, got \"{}\"", hash);
            continue;
          }
        }
        size_t fiber = 0;
        while (fiber < sc.threads.size() && sc.threads[fiber].name != thread) ++fiber;
        if (fb) {  // a kernel worker's fiber id: after the scenario's threads, below the step limit
          const bool ok = fb->is_number_unsigned() && fb->get<uint64_t>() >= sc.threads.size() &&
                          fb->get<uint64_t>() < limits::kScheduleSteps && fiber == sc.threads.size();
          if (!ok) {
            sink.error(st.child("fiber"), "expected the fiber id of a kernel worker (an integer from {}, for a thread the "
                       "scenario does not have), got {}", sc.threads.size(), describe_json(*fb));
            continue;
          }
          fiber = fb->get<uint64_t>();
        } else if (fiber == sc.threads.size()) {
          size_t k = 0;
          while (k < unknown_threads.size() && unknown_threads[k].first != thread) ++k;
          if (k == unknown_threads.size()) {
            unknown_threads.emplace_back(thread, st.child("thread"));
            unknown_steps.push_back(0);
          }
          ++unknown_steps[k];
          continue;
        }
        s.decisions.push_back(static_cast<sched::FiberId>(fiber));
        s.label_hashes.push_back(hv);
        s.labels.push_back(label);
      }
      std::vector<std::string> names;
      for (const auto& th : sc.threads) names.push_back(th.name);
      for (size_t k = 0; k < unknown_threads.size(); ++k) {
        const auto& [thread, first] = unknown_threads[k];
        sink.error(first, "no thread \"{}\" in scenario \"{}\"{}{}", thread, sc.name, did_you_mean(thread, names),
                   unknown_steps[k] == 1 ? std::string()
                                         : fmt::format(" ({} steps name it; this is the first)", unknown_steps[k]));
      }
    }
  }
  if (const auto* v = top.optional("finding")) {
    object_view fo(sink, *v, "/finding", "the finding recorded {\"kind\", \"message\"}");
    std::string kind, message;
    const auto* k = fo.required("kind", "a finding kind");
    const auto* m = fo.required("message", "the finding's message");
    fo.reject_unknown("the finding");
    if (k && m && get_string(sink, *k, "/finding/kind", kind) && get_string(sink, *m, "/finding/message", message)) {
      sched::Finding f;
      f.message = message;
      if (auto parsed = parse_finding_kind(kind)) f.kind = *parsed;
      else if (kind == "divergence") f.kind = sched::FindingKind::Divergence;
      else if (kind == "tool-error") f.kind = sched::FindingKind::ToolError;
      else sink.error("/finding/kind", "unknown finding kind \"{}\"", kind);
      s.finding = f;
    }
  }
  if (const auto* v = top.optional("origin")) get_string(sink, *v, "/origin", s.origin);
  top.reject_unknown("a schedule file");
  sink.throw_if_any();
  return s;
}

schedule load_schedule(const std::string& file, const scenario& sc) { return parse_schedule(read_json_file(file, result_file_limits("a schedule file")), file, sc); }

}  // namespace fsrace::sim
