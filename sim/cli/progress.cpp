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

}  // namespace fsrace::cli
