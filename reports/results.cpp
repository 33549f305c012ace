#include "reports/results.hpp"

#include <set>

#include <algorithm>

namespace fsrace::reports {

void summarize_pairs(label_coverage_result& l, size_t listed) {
  const std::set<std::pair<std::string, std::string>> all(l.ordered.begin(), l.ordered.end());
  l.pairs_ordered = l.pairs_reordered = l.never_reordered_total = 0;
  l.never_reordered.clear();
  for (const auto& [x, y] : all) {
    const bool both = all.count({y, x}) > 0;
    if (both) {
      if (x < y) ++l.pairs_ordered, ++l.pairs_reordered;
      continue;
    }
    ++l.pairs_ordered;
    ++l.never_reordered_total;
    if (l.never_reordered.size() < listed) l.never_reordered.emplace_back(x, y);
  }
}

const char* to_string(case_result::status s) {
  switch (s) {
    case case_result::status::pass: return "pass";
    case case_result::status::fail: return "fail";
    case case_result::status::error: return "error";
  }
  return "?";
}

bool case_result::undecided() const {
  return interrupted && result == status::fail && !(expected == "clean" && !violations.empty());
}

namespace {
size_t count(const suite_result& s, case_result::status st) {
  return static_cast<size_t>(std::count_if(s.cases.begin(), s.cases.end(), [&](const case_result& c) { return c.result == st; }));
}
}  // namespace

size_t suite_result::passed() const { return count(*this, case_result::status::pass); }
size_t suite_result::failed() const { return count(*this, case_result::status::fail); }
size_t suite_result::errors() const { return count(*this, case_result::status::error); }

}  // namespace fsrace::reports
