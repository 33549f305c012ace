#pragma once
// Findings end an execution: kernel-like BUG/WARN/ASSERT from model code, invariant violations, deadlock,
// step bound, replay divergence, or a tool error (a model self-check that failed, or a C++ exception
// escaping model code: a bug in fsrace, never a race).
#include <cstdint>
#include <exception>
#include <string>

#include <fmt/format.h>

namespace fsrace::sched {

enum class FindingKind { None, Bug, Warn, Assert, Violation, Deadlock, StepLimit, Divergence, ToolError };

/// "none", "BUG", "WARN", "ASSERT", "violation", "deadlock", "step-limit", "divergence", "tool-error".
const char* to_string(FindingKind);

struct Finding {
  FindingKind kind = FindingKind::None;
  std::string message;
  int fiber = -1;     // FiberId of the fiber that raised it, -1 when none (deadlock, step limit, ...)
  uint64_t step = 0;  // index in the trace of the step during which it happened
};

/// Thrown by fail(); caught at the entry of the fiber, which ends the execution with the finding.
/// Outside a fiber (e.g. scenario set-up code) it propagates to the caller, which may catch it.
class FindingRaised : public std::exception {
 public:
  FindingRaised(FindingKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  FindingKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  FindingKind kind_;
  std::string message_;
};

/// Called from code running in a fiber: ends the whole execution as a finding (unwinds the fiber).
[[noreturn]] void fail(FindingKind, std::string message);

namespace detail {
/// "BUG_ON(cond) at file:line: message" — built only when the condition holds.
std::string finding_message(const char* macro, const char* cond, const char* file, int line, std::string message);
/// The optional message of the macros: fmt format string plus arguments, or nothing.
inline std::string opt_message() { return {}; }
template <class... Args>
std::string opt_message(fmt::format_string<Args...> f, Args&&... args) {
  return fmt::format(f, std::forward<Args>(args)...);
}
}  // namespace detail

}  // namespace fsrace::sched

#define FSRACE_FINDING_IF_(kind, macro, fails, cond_text, ...)                                           \
  do {                                                                                                  \
    if (__builtin_expect(!!(fails), 0))                                                                 \
      ::fsrace::sched::fail(::fsrace::sched::FindingKind::kind,                                        \
                            ::fsrace::sched::detail::finding_message(                                   \
                                macro, cond_text, __FILE__, __LINE__,                                   \
                                ::fsrace::sched::detail::opt_message(__VA_ARGS__)));                     \
  } while (0)

/// Kernel-like checks for model code; the optional message is a fmt format string with arguments:
///   FSRACE_BUG_ON(bg->ro < 0, "bg {} ro {}", bg->start, bg->ro);
#define FSRACE_BUG_ON(cond, ...) FSRACE_FINDING_IF_(Bug, "BUG_ON", cond, #cond, __VA_ARGS__)
#define FSRACE_WARN_ON(cond, ...) FSRACE_FINDING_IF_(Warn, "WARN_ON", cond, #cond, __VA_ARGS__)
/// Fails when cond is FALSE (like the kernel's btrfs ASSERT()).
#define FSRACE_ASSERT(cond, ...) FSRACE_FINDING_IF_(Assert, "ASSERT", !(cond), #cond, __VA_ARGS__)

/// The model's own consistency check: fails when cond is FALSE, and then it is a bug in fsrace, not a
/// race. The execution ends as a tool error (exit 3), never counted as a violation. Use the three macros
/// above only where the declared kernel has that BUG_ON / WARN_ON / ASSERT (or a transaction abort) at
/// that place with that condition; every other check of model code is a FSRACE_MODEL_CHECK.
#define FSRACE_MODEL_CHECK(cond, ...) \
  FSRACE_FINDING_IF_(ToolError, "FSRACE_MODEL_CHECK", !(cond), #cond, __VA_ARGS__)
