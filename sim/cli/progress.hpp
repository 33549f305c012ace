#pragma once
// A single self-overwriting progress line on stderr, only when stderr is a terminal (never in CI logs).
#include <chrono>
#include <cstdint>
#include <string>

namespace fsrace::cli {

class progress_line {
 public:
  progress_line(std::string what, uint64_t total);
  ~progress_line();
  /// Redraws at most ten times a second: executions done, violations, rate, estimated time left.
  void update(uint64_t done, uint64_t violations);
  void finish();

 private:
  std::string what_;
  uint64_t total_;
  bool enabled_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

/// The shrinking's progress line: executions, the best schedule so far, the phase, time spent.
class shrink_line {
 public:
  explicit shrink_line(std::string what);
  ~shrink_line();
  void update(uint64_t executions, uint64_t preemptions, uint64_t steps, const char* phase);

 private:
  std::string what_;
  bool enabled_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace fsrace::cli
