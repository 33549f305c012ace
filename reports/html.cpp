#include "reports/html.hpp"

#include <fmt/format.h>

#include "reports/html_assets.hpp"
#include "reports/html_escape.hpp"
#include "reports/html_swimlanes.hpp"
#include "reports/label_coverage_text.hpp"

namespace fsrace::reports {
namespace {

std::string plural(uint64_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string summary_row(const case_result& c, size_t i, bool has_section) {
  const verdict v = verdict_of(c);
  std::string row = fmt::format("<tr class=\"case {}{}\"{}>", v.cls, v.problem ? " problem" : "",
                                has_section ? fmt::format(" data-section=\"case-{}\"", i) : "");
  const std::string name = html_escape(c.scenario);
  row += fmt::format("<td>{}<div class=\"file\">{}</div></td>",
                     has_section ? fmt::format("<a href=\"#case-{}\">{}</a>", i, name) : name, html_escape(c.file));
  row += fmt::format("<td><code>{}</code></td>", html_escape(c.fixes));
  row += fmt::format("<td>{}<div class=\"sub\">base seed {}</div></td>", html_escape(c.strategy), c.base_seed);
  row += fmt::format("<td class=\"num\">{}{}</td>", c.executions,
                     !c.coverage.empty() ? "<div class=\"sub\">" + html_escape(c.coverage) + "</div>"
                     : c.exhausted       ? "<div class=\"sub\">space exhausted</div>"
                                         : "");
  row += fmt::format("<td class=\"num\">{}{}</td>", c.violations.size(),
                     c.violating_executions ? fmt::format("<div class=\"sub\">in {}</div>", plural(c.violating_executions, "execution"))
                                            : std::string());
  row += fmt::format("<td>{}</td>", c.expected.empty() ? "<span class=\"sub\">nothing (explore)</span>" : html_escape(c.expected));
  row += fmt::format("<td><span class=\"badge {}\">{}</span>{}</td>", v.cls, html_escape(v.text),
                     c.reason.empty() ? "" : fmt::format("<div class=\"reason\">{}</div>", html_escape(c.reason)));
  return row + "</tr>\n";
}

std::string violation_article(const violation_entry& v, size_t i, size_t j) {
  const std::string finding = v.kind + ": " + v.message;
  std::string out = fmt::format("<article class=\"violation\" id=\"case-{}-v{}\">\n<h4><span class=\"kind\">{}</span> {}</h4>\n", i, j,
                                html_escape(v.kind), html_escape(v.message));
  out += fmt::format(
      "<dl class=\"facts\"><dt>seed</dt><dd><code class=\"seed\">{}</code></dd><dt>execution</dt><dd>{}</dd>"
      "<dt>length</dt><dd>{}, {}</dd><dt>seen</dt><dd>{}</dd></dl>\n",
      v.seed, v.execution, plural(v.steps, "step"), plural(v.preemptions, "preemption"), plural(v.occurrences, "time"));
  out += fmt::format("<div class=\"cmd\"><pre><code>{}</code></pre></div>\n", html_escape(v.replay_command));
  if (!v.found_replay_command.empty())
    out += fmt::format("<p class=\"note\">Drawn below {}; the command above replays it. As found (seed {}):</p>\n"
                       "<div class=\"cmd\"><pre><code>{}</code></pre></div>\n",
                       html_escape(v.shrink_note), v.seed, html_escape(v.found_replay_command));
  if (v.trace) {
    // The trace's note repeats the shrink note of the lines above ("Drawn shrunk from ..."): once is enough.
    const bool repeats = !v.shrink_note.empty() && v.trace->note.find(v.shrink_note) != std::string::npos;
    if (!v.trace->note.empty() && !repeats) out += fmt::format("<p class=\"note\">{}</p>\n", html_escape(v.trace->note));
    out += html_swimlanes(*v.trace, finding);
    if (!v.diagram.empty())  // the plain-text form, for a commit message
      out += fmt::format("<details class=\"text\"><summary>as text, for a commit message</summary><pre class=\"diagram\">{}</pre></details>\n",
                         html_escape(v.diagram));
  } else if (!v.diagram.empty()) {
    out += fmt::format("<pre class=\"diagram\">{}</pre>\n", html_escape(v.diagram));
  } else {
    out += "<p class=\"note\">No trace in these results (written with --diagram-steps 0); the replay command shows it.</p>\n";
  }
  return out + "</article>\n";
}

std::string case_section(const case_result& c, size_t i) {
  const verdict v = verdict_of(c);
  std::string out = fmt::format("<section class=\"case\" id=\"case-{}\">\n<h3>{} <span class=\"badge {}\">{}</span></h3>\n", i,
                                html_escape(c.scenario), v.cls, html_escape(v.text));
  out += fmt::format("<div class=\"sub\">{} &middot; fixes <code>{}</code> &middot; {} &middot; base seed {} &middot; {}</div>\n",
                     html_escape(c.file), html_escape(c.fixes), html_escape(c.strategy), c.base_seed, plural(c.executions, "execution"));
  if (!c.expected.empty()) out += fmt::format("<p class=\"reason\">expected: {}</p>\n", html_escape(c.expected));
  if (!c.reason.empty()) out += fmt::format("<p class=\"reason\">{}</p>\n", html_escape(c.reason));
  for (size_t j = 0; j < c.violations.size(); ++j) out += violation_article(c.violations[j], i, j);
  return out + "</section>\n";
}

}  // namespace

verdict verdict_of(const case_result& c) {
  if (c.result == case_result::status::error) return {"error", "tool error", true};
  if (!c.expected.empty())
    return c.result == case_result::status::pass ? verdict{"pass", "as expected", false} : verdict{"fail", "not as expected", true};
  return c.violations.empty() ? verdict{"clean", "clean", false} : verdict{"found", "violation found", true};
}

std::string render_html(const suite_result& s, const html_options& o) {
  size_t counts[5] = {};  // pass, fail, error, found, clean
  const char* names[5] = {"pass", "fail", "error", "found", "clean"};
  const char* labels[5] = {"as expected", "not as expected", "tool error", "violation found", "clean"};
  for (const auto& c : s.cases) {
    const std::string cls = verdict_of(c).cls;
    for (size_t k = 0; k < 5; ++k) counts[k] += cls == names[k];
  }
  std::string title = fmt::format("fsrace report: {}", plural(s.cases.size(), "case"));
  if (counts[1] + counts[2]) title += fmt::format(", {} not as expected", counts[1] + counts[2]);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}</style>\n</head>\n"
      "<body>\n<header>\n<h1>fsrace report</h1>\n",
      html_escape(title), kHtmlStyle);
  if (!o.origin.empty()) out += fmt::format("<p class=\"sources\">{}</p>\n", html_escape(o.origin));
  if (s.interrupted)
    out += "<p class=\"interrupted\">INTERRUPTED (Ctrl-C): these are partial results; the cases after the last one listed did not run.</p>\n";
  out += "<div class=\"totals\">";
  out += fmt::format("<span class=\"badge\">{}</span>", plural(s.cases.size(), "case"));
  for (size_t k = 0; k < 5; ++k)
    if (counts[k]) out += fmt::format("<span class=\"badge {}\">{} {}</span>", names[k], counts[k], labels[k]);
  out += "</div>\n</header>\n<main>\n<section id=\"summary\">\n<h2>Summary</h2>\n";
  out += "<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-problems\"> only problems</label> &middot; "
         "<span id=\"shown\"></span></div>\n";
  out += "<table class=\"summary\">\n<thead><tr><th>scenario</th><th>fixes</th><th>strategy</th><th>executions</th>"
         "<th>violations</th><th>expected</th><th>verdict</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < s.cases.size(); ++i) {
    const auto& c = s.cases[i];
    out += summary_row(c, i, !c.violations.empty() || !c.reason.empty());
  }
  out += "</tbody>\n</table>\n</section>\n";
  bool any = false;
  for (size_t i = 0; i < s.cases.size(); ++i) {
    const auto& c = s.cases[i];
    if (c.violations.empty() && c.reason.empty()) continue;
    if (!any) out += "<h2>Findings</h2>\n";
    any = true;
    out += case_section(c, i);
  }
  // What each case's search reached: label kinds per thread, pairs never reordered.
  bool any_labels = false;
  for (size_t i = 0; i < s.cases.size(); ++i) {
    const auto& c = s.cases[i];
    if (!c.labels.present) continue;
    if (!any_labels) out += "<h2>Label coverage</h2>\n";
    any_labels = true;
    out += fmt::format("<section class=\"coverage\" id=\"labels-{}\"><h3>{} <span class=\"sub\">fixes <code>{}</code> &middot; {}</span></h3>\n{}</section>\n",
                       i, html_escape(c.scenario), html_escape(c.fixes), html_escape(c.strategy), label_coverage_html(c.labels));
  }
  out += "</main>\n<footer>Click a number or a lock in a step to highlight every step touching it. Replay any violation "
         "with its command; <code>fsrace shrink</code> finds its shortest schedule.</footer>\n";
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kHtmlScript);
  return out;
}

}  // namespace fsrace::reports
