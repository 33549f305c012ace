#pragma once
// The label coverage of a case in words (console, explore's text) and as an HTML section.
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

/// "143 label kinds in 4 threads; 2345 of 3001 cross-thread pairs ran in both orders", or "" when absent.
std::string label_coverage_line(const label_coverage_result&);
/// A <details> block: each thread's label kinds and the pairs never reordered (listed ones).
std::string label_coverage_html(const label_coverage_result&);

}  // namespace fsrace::reports
