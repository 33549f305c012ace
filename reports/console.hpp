#pragma once
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

/// One line per case ("PASS  name  fixes=off  expected ...  found BUG after 12 executions (seed ...)"), the
/// replay command under each failing one, then the totals.
std::string console_summary(const suite_result&);
/// One line for a case (used by the summary and as progress).
std::string console_line(const case_result&);

}  // namespace fsrace::reports
