#pragma once
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

/// JUnit XML: one <testcase> per scenario and fix setting (classname "fsrace.<scenario>", name the fix
/// setting and what was expected). A failed expectation is a <failure> carrying the violation (or its
/// absence), the seed and the replay command; a tool error is an <error>.
std::string to_junit(const suite_result&, const std::string& suite_name = "fsrace");

/// Escapes text for XML 1.0 attributes and content; characters XML cannot carry become U+FFFD.
std::string xml_escape(const std::string&);

}  // namespace fsrace::reports
