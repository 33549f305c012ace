#pragma once
// The HTML report: one self-contained page (inline style and script, nothing fetched) with the summary
// table of every case and, for each violation, its seed, replay command and swimlanes.
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

struct html_options {
  std::string origin;  // shown under the title: "fsrace run scenarios", "from a.json, b.json"
};

/// The whole page. Deterministic: the same results give the same bytes (no dates, no timings).
std::string render_html(const suite_result&, const html_options& = {});

/// How a case turned out, for the verdict column: class "pass" (as expected), "fail" (not as
/// expected), "error" (tool error), and for explorations without an expectation "found" or "clean".
struct verdict {
  const char* cls;
  std::string text;
  bool problem;  // shown under "only problems"
};
verdict verdict_of(const case_result&);

}  // namespace fsrace::reports
