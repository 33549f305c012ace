#include "scheduler/finding.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fsrace::sched {

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::None: return "none";
    case FindingKind::Bug: return "BUG";
    case FindingKind::Warn: return "WARN";
    case FindingKind::Assert: return "ASSERT";
    case FindingKind::Violation: return "violation";
    case FindingKind::Deadlock: return "deadlock";
    case FindingKind::StepLimit: return "step-limit";
    case FindingKind::Divergence: return "divergence";
    case FindingKind::ToolError: return "tool-error";
  }
  return "unknown";
}

void fail(FindingKind kind, std::string message) {
  if (std::uncaught_exceptions() > 0) {
    // Throwing now (from a destructor run by unwinding) would call std::terminate without a word.
    std::fprintf(stderr,
                 "fsrace: fatal: %s raised while an exception unwinds the fiber (from a destructor?): %s\n",
                 to_string(kind), message.c_str());
    std::abort();
  }
  throw FindingRaised(kind, std::move(message));
}

namespace detail {
std::string finding_message(const char* macro, const char* cond, const char* file, int line, std::string message) {
  // Only the file name: messages must not depend on where the sources were checked out.
  const char* slash = std::strrchr(file, '/');
  const char* base = slash ? slash + 1 : file;
  if (message.empty()) return fmt::format("{}({}) at {}:{}", macro, cond, base, line);
  return fmt::format("{}({}) at {}:{}: {}", macro, cond, base, line, message);
}
}  // namespace detail

}  // namespace fsrace::sched
