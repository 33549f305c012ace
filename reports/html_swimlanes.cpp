#include "reports/html_swimlanes.hpp"

#include <cctype>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "reports/html_escape.hpp"

namespace fsrace::reports {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string obj(std::string_view text) {
  const std::string e = html_escape(text);
  return fmt::format("<span class=\"obj\" data-obj=\"{}\">{}</span>", e, e);
}

bool standalone_number_at(std::string_view s, size_t i) {
  return std::isdigit(static_cast<unsigned char>(s[i])) && (i == 0 || !ident_char(s[i - 1]));
}

// The arguments of a label: numbers (decimal or 0x hex: bytenrs, block groups, inodes) become objects,
// and so does a lone argument without numbers ("(fs_info->chunk_mutex)", "(btrfs_root->node lock)").
std::string html_args(std::string_view s) {
  if (s.size() > 2 && s.front() == '(' && s.back() == ')') {
    const std::string_view inner = s.substr(1, s.size() - 2);
    bool lone = inner.find_first_of(",()") == std::string_view::npos && ident_start(inner.front());
    for (size_t i = 0; lone && i < inner.size(); ++i) lone = !standalone_number_at(inner, i);
    if (lone) return "(" + obj(inner) + ")";
  }
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (standalone_number_at(s, i)) {
      size_t j = i + 1;
      if (s[i] == '0' && j < s.size() && s[j] == 'x') ++j;
      while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j == s.size() || !ident_char(s[j])) {
        out += obj(s.substr(i, j - i));
        i = j;
        continue;
      }
    }
    out += html_escape(s.substr(i, 1));
    ++i;
  }
  return out;
}

}  // namespace

std::string html_label(const std::string& label) {
  size_t fn = 0;
  if (!label.empty() && ident_start(label[0]))
    while (fn < label.size() && ident_char(label[fn])) ++fn;
  std::string out;
  if (fn) out += fmt::format("<span class=\"fn\">{}</span>", html_escape(std::string_view(label).substr(0, fn)));
  if (fn && fn < label.size()) out += "<wbr>";  // a narrow lane breaks before the arguments, not inside the name
  if (fn < label.size()) out += fmt::format("<span class=\"args\">{}</span>", html_args(std::string_view(label).substr(fn)));
  return out;
}

std::string html_swimlanes(const trace_record& t, const std::string& finding, size_t visible) {
  // A lane per thread that has a step here (kernel workers started on demand, as end_io fibers are,
  // often have none in the steps kept); the others are named under the table.
  std::vector<size_t> column(t.threads.size(), SIZE_MAX);
  std::vector<size_t> lanes;  // thread index of each column, in thread order
  for (const auto& s : t.steps) column[s.thread] = 0;
  for (size_t th = 0; th < t.threads.size(); ++th)
    if (column[th] == 0) column[th] = lanes.size(), lanes.push_back(th);
  // Many lanes scroll sideways instead of squeezing labels into a few characters.
  const bool wide = lanes.size() > 6;
  std::string out = wide ? fmt::format("<div class=\"lanes-scroll\"><table class=\"lanes\" style=\"min-width: {}em\">\n",
                                       5 + 18 * lanes.size())
                         : std::string("<table class=\"lanes\">\n");
  out += "<colgroup><col class=\"n\">";
  for (size_t c = 0; c < lanes.size(); ++c) out += "<col>";
  out += "</colgroup>\n<thead><tr><th class=\"n\">step</th>";
  for (size_t th : lanes) out += fmt::format("<th class=\"lane t{}\">{}</th>", th % 8, html_escape(t.threads[th]));
  out += "</tr></thead>\n<tbody>\n";
  if (!t.steps.empty() && t.steps.front().index > 0) {
    const uint64_t omitted = t.steps.front().index;
    out += fmt::format("<tr class=\"omitted\"><td colspan=\"{}\">&hellip; {} earlier step{} not kept</td></tr>\n",
                       lanes.size() + 1, omitted, omitted == 1 ? "" : "s");
  }
  const trace_record::step* previous = nullptr;
  const size_t early = t.steps.size() > visible ? t.steps.size() - visible : 0;
  for (const auto& s : t.steps) {
    const bool here = t.violating && *t.violating == s.index;
    std::string cls = here ? "violating" : "";
    if (previous && previous->thread != s.thread) cls += cls.empty() ? "switch" : " switch";
    if (static_cast<size_t>(&s - t.steps.data()) < early && !here) cls += cls.empty() ? "early" : " early";
    previous = &s;
    out += cls.empty() ? "<tr>" : fmt::format("<tr class=\"{}\">", cls);
    out += fmt::format("<td class=\"n\">{}</td>", s.index);
    for (size_t c = 0; c < column[s.thread]; ++c) out += "<td></td>";
    out += fmt::format("<td class=\"step t{}\">{}", s.thread % 8, html_label(s.label));
    if (here) out += fmt::format("<div class=\"finding\">{}</div>", html_escape(finding));
    out += "</td>";
    for (size_t c = column[s.thread] + 1; c < lanes.size(); ++c) out += "<td></td>";
    out += "</tr>\n";
  }
  out += wide ? "</tbody>\n</table></div>\n" : "</tbody>\n</table>\n";
  std::string idle;
  for (size_t th = 0; th < t.threads.size(); ++th)
    if (column[th] == SIZE_MAX) idle += (idle.empty() ? "" : ", ") + html_escape(t.threads[th]);
  if (!idle.empty()) out += fmt::format("<p class=\"note\">Threads without a step here: {}.</p>\n", idle);
  if (!t.violating && !finding.empty())
    out += fmt::format("<p class=\"finding after\">the execution ended: {}</p>\n", html_escape(finding));
  return out;
}

}  // namespace fsrace::reports
