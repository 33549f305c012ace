#include "reports/label_coverage_text.hpp"

#include <fmt/format.h>

#include "reports/html_escape.hpp"

namespace fsrace::reports {

std::string label_coverage_line(const label_coverage_result& l) {
  if (!l.present) return "not collected (--no-label-coverage)";
  size_t kinds = 0;
  for (const auto& [thread, list] : l.threads) kinds += list.size();
  std::string out = fmt::format("{} label kind{} reached in {} thread{}", kinds, kinds == 1 ? "" : "s", l.threads.size(),
                                l.threads.size() == 1 ? "" : "s");
  if (!l.pairs_known) out += "; pairs unknown (merged DFS shards that stopped early)";
  else
    out += fmt::format("; {} of {} cross-thread pairs ran in both orders", l.pairs_reordered, l.pairs_ordered);
  if (l.truncated) out += " (too many labels: the rest not tracked)";
  return out;
}

std::string label_coverage_html(const label_coverage_result& l) {
  if (!l.present) return "";
  std::string out = fmt::format("<details class=\"labels\"><summary>label coverage: {}</summary>\n",
                                html_escape(label_coverage_line(l)));
  for (const auto& [thread, kinds] : l.threads) {
    out += fmt::format("<p><b>{}</b> ({}):", html_escape(thread), kinds.size());
    for (const auto& k : kinds) out += fmt::format(" <code>{}</code>", html_escape(k));
    out += "</p>\n";
  }
  if (l.pairs_known && l.never_reordered_total > 0) {
    out += fmt::format("<p>{} pairs always ran in one order{}:</p>\n<ul>\n", l.never_reordered_total,
                       l.never_reordered.size() < l.never_reordered_total
                           ? fmt::format(" (the first {} listed)", l.never_reordered.size()) : "");
    for (const auto& [x, y] : l.never_reordered)
      out += fmt::format("<li><code>{}</code> before <code>{}</code></li>\n", html_escape(x), html_escape(y));
    out += "</ul>\n";
  }
  return out + "</details>\n";
}

}  // namespace fsrace::reports
