#include "reports/results.hpp"

#include <algorithm>

namespace fsrace::reports {

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
