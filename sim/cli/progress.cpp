#include "sim/cli/progress.hpp"

#include <fmt/format.h>

#include "sim/cli/common.hpp"

namespace fsrace::cli {

progress_line::progress_line(std::string what, uint64_t total)
    : what_(std::move(what)), total_(total), enabled_(progress_enabled()), start_(std::chrono::steady_clock::now()), last_(start_) {}

progress_line::~progress_line() { finish(); }

void progress_line::update(uint64_t done, uint64_t violations) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? done / secs : 0;
  const double left = rate > 0 && total_ > done ? (total_ - done) / rate : 0;
  fmt::print(stderr, "\r\033[K{}: {}/{} executions, {} violation{}, {:.0f}/s, ~{:.0f}s left", what_, done, total_, violations,
             violations == 1 ? "" : "s", rate, left);
  std::fflush(stderr);
  drawn_ = true;
}

void progress_line::finish() {
  if (drawn_) fmt::print(stderr, "\r\033[K");
  drawn_ = false;
}

shrink_line::shrink_line(std::string what)
    : what_(std::move(what)), enabled_(progress_enabled()), start_(std::chrono::steady_clock::now()), last_(start_) {}

shrink_line::~shrink_line() {
  if (drawn_) fmt::print(stderr, "\r\033[K");
}

void shrink_line::update(uint64_t executions, uint64_t preemptions, uint64_t steps, const char* phase) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  fmt::print(stderr, "\r\033[K{}: shrinking ({}): {} executions, best {} preemption{}, {} steps, {:.1f}s", what_, phase, executions,
             preemptions, preemptions == 1 ? "" : "s", steps, std::chrono::duration<double>(now - start_).count());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace fsrace::cli
