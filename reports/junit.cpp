#include "reports/junit.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace fsrace::reports {

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') out += "\xEF\xBF\xBD";
        else out += static_cast<char>(c);
    }
  }
  return out;
}

namespace {

std::string case_details(const case_result& c) {
  std::string out = fmt::format("scenario {} ({})\nfixes {}, expected {}\nstrategy {}, base seed {}, {} executions{}\n",
                                c.scenario, c.file, c.fixes, c.expected.empty() ? "nothing" : c.expected, c.strategy,
                                c.base_seed, c.executions,
                                !c.coverage.empty() ? " (" + c.coverage + ")" : c.exhausted ? " (bounded space exhausted)" : "");
  if (!c.reason.empty()) out += c.reason + "\n";
  for (const auto& v : c.violations) {
    out += fmt::format("\n{}: {}\nseed {} (execution {}, {} step{}, {} preemption{}, seen {} time{})\nreplay: {}\n", v.kind,
                       v.message, v.seed, v.execution, v.steps, v.steps == 1 ? "" : "s", v.preemptions,
                       v.preemptions == 1 ? "" : "s", v.occurrences, v.occurrences == 1 ? "" : "s", v.replay_command);
    if (!v.shrink_note.empty()) out += v.shrink_note + "\nreplay as found: " + v.found_replay_command + "\n";
    if (!v.diagram.empty()) out += "\n" + v.diagram;
  }
  return out;
}

}  // namespace

namespace {

std::string property(const std::string& name, const std::string& value) {
  return fmt::format("<property name=\"{}\" value=\"{}\"/>", xml_escape(name), xml_escape(value));
}

// `nth`: the expectation's position among those of its scenario with the same fix setting (several may
// share one, explored differently): the second is "fixes=off (2)".
std::string testcase(const case_result& c, size_t nth) {
  const std::string name = nth > 1 ? fmt::format("fixes={} ({})", c.fixes, nth) : "fixes=" + c.fixes;
  std::string out = fmt::format("    <testcase classname=\"fsrace.{}\" name=\"{}\" file=\"{}\" time=\"{:.3f}\">\n",
                                xml_escape(c.scenario), xml_escape(name), xml_escape(c.file), c.seconds);
  out += "      <properties>\n";
  auto prop = [&](const std::string& n, const std::string& v) { out += "        " + property(n, v) + "\n"; };
  prop("scenario", c.scenario);
  prop("file", c.file);
  prop("fixes", c.fixes);
  prop("expected", c.expected.empty() ? "nothing" : c.expected);
  prop("strategy", c.strategy);
  prop("base_seed", std::to_string(c.base_seed));
  prop("executions", std::to_string(c.executions));
  if (!c.violations.empty()) {
    const auto& v = c.violations.front();
    prop("seed", std::to_string(v.seed));
    prop("replay", v.replay_command);
    if (!v.found_replay_command.empty()) prop("replay_as_found", v.found_replay_command);
  }
  if (c.interrupted) prop("interrupted", "true");
  out += "      </properties>\n";
  const std::string details = xml_escape(case_details(c));
  if (c.undecided()) {
    out += fmt::format("      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n", xml_escape(c.reason), details);
  } else if (c.result == case_result::status::fail) {
    const std::string type = c.violations.empty() ? "no-violation" : c.violations.front().kind;
    out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(c.reason), xml_escape(type), details);
  } else if (c.result == case_result::status::error) {
    out += fmt::format("      <error message=\"{}\" type=\"tool-error\">{}</error>\n", xml_escape(c.reason), details);
  } else {
    out += fmt::format("      <system-out>{}</system-out>\n", details);
  }
  return out + "    </testcase>\n";
}

}  // namespace

std::string to_junit(const suite_result& s, const std::string& suite_name, const junit_context& ctx) {
  double total = 0;
  size_t skipped = 0;
  size_t failed = 0;
  for (const auto& c : s.cases) total += c.seconds, skipped += c.undecided(), failed += c.result == case_result::status::fail && !c.undecided();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     xml_escape(suite_name), s.cases.size(), failed, s.errors(), skipped, total);
  // One testsuite per scenario, in the order the scenarios first appear.
  std::vector<std::string> order;
  for (const auto& c : s.cases)
    if (std::find(order.begin(), order.end(), c.scenario) == order.end()) order.push_back(c.scenario);
  for (const auto& name : order) {
    size_t tests = 0, failures = 0, errors = 0, skips = 0;
    double time = 0;
    std::string file;
    for (const auto& c : s.cases)
      if (c.scenario == name) {
        ++tests;
        failures += c.result == case_result::status::fail && !c.undecided();
        errors += c.result == case_result::status::error;
        skips += c.undecided();
        time += c.seconds;
        file = c.file;
      }
    out += fmt::format("  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"",
                       xml_escape(suite_name), xml_escape(name), tests, failures, errors, skips, time);
    if (!ctx.timestamp.empty()) out += fmt::format(" timestamp=\"{}\"", xml_escape(ctx.timestamp));
    if (!ctx.hostname.empty()) out += fmt::format(" hostname=\"{}\"", xml_escape(ctx.hostname));
    out += ">\n    <properties>\n";
    out += "      " + property("scenario", name) + "\n      " + property("file", file) + "\n";
    if (s.interrupted) out += "      " + property("interrupted", "true") + "\n";
    out += "    </properties>\n";
    std::vector<std::string> seen;  // fix settings of this scenario so far
    for (const auto& c : s.cases)
      if (c.scenario == name) {
        seen.push_back(c.fixes);
        out += testcase(c, static_cast<size_t>(std::count(seen.begin(), seen.end(), c.fixes)));
      }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace fsrace::reports
