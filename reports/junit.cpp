#include "reports/junit.hpp"

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
    if (!v.diagram.empty()) out += "\n" + v.diagram;
  }
  return out;
}

}  // namespace

std::string to_junit(const suite_result& s, const std::string& suite_name) {
  double total = 0;
  for (const auto& c : s.cases) total += c.seconds;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n",
                     xml_escape(suite_name), s.cases.size(), s.failed(), s.errors(), total);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{:.3f}\">\n",
                     xml_escape(suite_name), s.cases.size(), s.failed(), s.errors(), total);
  for (const auto& c : s.cases) {
    const std::string name =
        fmt::format("fixes={} [{}]: expect {}", c.fixes, c.strategy, c.expected.empty() ? "nothing" : c.expected);
    out += fmt::format("    <testcase classname=\"fsrace.{}\" name=\"{}\" file=\"{}\" time=\"{:.3f}\">\n",
                       xml_escape(c.scenario), xml_escape(name), xml_escape(c.file), c.seconds);
    const std::string details = xml_escape(case_details(c));
    if (c.result == case_result::status::fail) {
      const std::string type = c.violations.empty() ? "no-violation" : c.violations.front().kind;
      out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(c.reason), xml_escape(type),
                         details);
    } else if (c.result == case_result::status::error) {
      out += fmt::format("      <error message=\"{}\" type=\"tool-error\">{}</error>\n", xml_escape(c.reason), details);
    } else {
      out += fmt::format("      <system-out>{}</system-out>\n", details);
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace fsrace::reports
