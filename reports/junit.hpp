#pragma once
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

/// Where and when the report was made (JUnit's testsuite attributes); empty = left out.
struct junit_context {
  std::string timestamp;  // ISO 8601 without zone, UTC: "2026-12-04T22:13:09"
  std::string hostname;
};

/// JUnit XML that CI keeps history for: a <testsuite name="fsrace.<scenario>"> per scenario (so merging
/// reports never collapses two scenarios), a <testcase> per fix setting named only by it
/// (classname "fsrace.<scenario>", name "fixes=off": tuning the strategy or the expected message keeps
/// the test's history), with <properties> (scenario file, fixes, expected, strategy, base seed,
/// executions, and for a violation its seed and replay command). A failed expectation is a <failure>
/// carrying the violation (or its absence), the seed and the replay command; a tool error is an <error>;
/// a case Ctrl-C stopped before its verdict (case_result::undecided) is <skipped>, neither a failure nor
/// a pass; one interrupted after it found a violation it did not expect is still a <failure>.
std::string to_junit(const suite_result&, const std::string& suite_name = "fsrace", const junit_context& = {});

/// Escapes text for XML 1.0 attributes and content; characters XML cannot carry become U+FFFD.
std::string xml_escape(const std::string&);

}  // namespace fsrace::reports
