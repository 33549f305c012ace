#include "sim/listing.hpp"

#include <fmt/format.h>

#include "model/fixes.hpp"
#include "reports/diagram.hpp"
#include "sim/limits.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {
namespace {

std::string indent_wrapped(const std::string& text, size_t indent, size_t width) {
  std::string out;
  // wrap_text indents continuation lines by two; re-indent uniformly instead.
  for (const auto& line : reports::wrap_text(text, width)) {
    std::string l = line;
    if (!out.empty() && l.rfind("  ", 0) == 0) l = l.substr(2);
    out += std::string(indent, ' ') + l + '\n';
  }
  return out;
}

std::string params_text(const std::vector<param_spec>& params) {
  std::string out;
  for (const auto& p : params) {
    out += fmt::format("      {} ({}): {}\n", p.name, p.default_text(), p.expectation());
    if (!p.doc.empty()) out += indent_wrapped(p.doc, 8, 88);
  }
  return out;
}

nlohmann::json params_json(const std::vector<param_spec>& params) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : params) {
    nlohmann::json j = {{"name", p.name}, {"type", to_string(p.type)}, {"doc", p.doc}, {"required", p.required},
                        {"expects", p.expectation()}};
    if (!p.required) j["default"] = p.default_value;
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (!p.kind.empty()) j["kind"] = p.kind;
    out.push_back(j);
  }
  return out;
}

}  // namespace

std::string list_text(const catalogue& cat) {
  std::string out = "OPERATIONS (threads and filesystem.setup; every op also takes \"repeat\", \"allow_errors\", \"comment\")\n";
  for (const op_spec* op : cat.ops()) {
    out += fmt::format("  {}  [{}]{}\n", op->name, op->family,
                       op->scope == op_scope::setup_only ? " (setup only)" : op->scope == op_scope::threads_only ? " (threads only)" : "");
    out += indent_wrapped(op->doc, 4, 92);
    out += params_text(op->params);
    if (!op->allowed_errors.empty()) {
      std::string errs;
      for (int e : op->allowed_errors) errs += (errs.empty() ? "" : ", ") + format_errno(e);
      out += fmt::format("      allowed errors: {}\n", errs);
    }
  }
  out += "\nINVARIANTS (\"invariants\"; when the key is absent: the ones marked default)\n";
  for (const invariant_spec* inv : cat.invariants()) {
    out += fmt::format("  {}  [{}]{}\n", inv->name, inv->family, inv->default_on ? " (default)" : "");
    out += indent_wrapped(inv->doc, 4, 92);
    out += params_text(inv->params);
  }
  out += fmt::format("\nFIXES (\"fixes\", --fix ID=on|off); declared kernel {}: the fixes it carries (released up to "
                     "its mainline release, or backported to its stable series by {}) are on by default\n",
                     model::kDeclaredKernelExact, model::kDeclaredKernel);
  for (const auto& f : model::all_fixes()) {
    const std::string stable = f.stable ? fmt::format(" ({} stable)", f.stable) : std::string();
    out += fmt::format("  {}  kernel {}{}  {}\n", f.id, f.kernel, stable, f.title);
    out += indent_wrapped(f.changes, 4, 92);
  }
  out += "\nLIMITS (validation refuses more, naming the limit: what an execution may cost is bounded)\n";
  for (const auto& l : limits::kAll) out += fmt::format("  {:<22} {:>12}  {}\n", l.name, l.value, l.what);
  return out;
}

nlohmann::json list_json(const catalogue& cat) {
  nlohmann::json ops = nlohmann::json::array(), invs = nlohmann::json::array(), fixes = nlohmann::json::array();
  for (const op_spec* op : cat.ops()) {
    nlohmann::json errs = nlohmann::json::array();
    for (int e : op->allowed_errors) errs.push_back(format_errno(e));
    ops.push_back({{"name", op->name},
                   {"family", op->family},
                   {"doc", op->doc},
                   {"scope", op->scope == op_scope::setup_only ? "setup" : op->scope == op_scope::threads_only ? "threads" : "any"},
                   {"params", params_json(op->params)},
                   {"allowed_errors", errs}});
  }
  for (const invariant_spec* inv : cat.invariants())
    invs.push_back({{"name", inv->name}, {"family", inv->family}, {"doc", inv->doc}, {"default", inv->default_on},
                    {"params", params_json(inv->params)}});
  for (const auto& f : model::all_fixes())
    fixes.push_back({{"id", f.id}, {"title", f.title}, {"kernel", f.kernel},
                     {"stable", f.stable ? nlohmann::json(f.stable) : nlohmann::json()}, {"changes", f.changes}});
  nlohmann::json lims = nlohmann::json::object();
  for (const auto& l : limits::kAll) lims[l.name] = {{"value", l.value}, {"meaning", l.what}};
  return {{"declared_kernel", model::kDeclaredKernelExact}, {"operations", ops}, {"invariants", invs}, {"fixes", fixes},
          {"limits", lims}};
}

std::string starter_scenario(const std::string& name, const catalogue& cat) {
  const auto first_fix = model::all_fixes().front();
  nlohmann::ordered_json j;
  j["comment"] = {
      "A starting scenario. Every object may carry a \"comment\" (a string or an array of strings); all other keys",
      "are checked: `fsrace validate` names the file, the JSON path and what was expected for each mistake.",
      "`fsrace list` prints every operation, invariant and fix with its parameters. scenarios/README.md explains it all."};
  j["name"] = name;
  j["title"] = "TODO: one line saying which race this is";
  j["references"] = {{"comment", "Optional: the upstream fix, the fstest that hits it, links to the discussion."},
                     {"commits", {first_fix.id}},
                     {"fstests", nlohmann::json::array()},
                     {"links", nlohmann::json::array()}};
  j["filesystem"] = {{"comment", {"The filesystem built once before every execution: mkfs on these devices, then the",
                                  "setup operations run by one thread, then the state is frozen and copied per execution."}},
                     {"devices", {"1GiB"}},
                     {"profiles", {{"data", "single"}, {"metadata", "dup"}, {"system", "dup"}}},
                     {"setup", nlohmann::json::array()}};
  j["threads"] = {
      {{"comment", "One column of the race: its operations run in order, interleaved with the other threads."},
       {"name", "first"},
       {"ops", {{{"op", "yield"}}}}},
      {{"name", "second"}, {"ops", {{{"op", "yield"}, {"comment", "Replace with the operations of the race."}}}}}};
  j["fixes"] = {{"comment", {"The fixes this scenario is about: --fixes on|off (and the expectations) flip them;",
                             "every other fix stays as \"base\" says (\"all\", \"none\" or {\"kernel\": VERSION})."}},
                {"test", {first_fix.id}},
                {"base", "all"}};
  j["invariants"] = {"user_errors"};
  j["explore"] = {{"comment", "Defaults for `fsrace explore` and `fsrace run`; flags override them."},
                  {"strategy", "pct"},
                  {"runs", 1000},
                  {"depth", 3}};
  j["expectations"] = {
      {{"comment", "TODO: with the fix off the race must show; name its kind and a part of its message."},
       {"fixes", "off"},
       {"result", "clean"}},
      {{"fixes", "on"}, {"result", "clean"}, {"explore", {{"strategy", "dfs"}, {"preemptions", 2}}}}};
  (void)cat;
  return j.dump(2) + "\n";
}

}  // namespace fsrace::sim
