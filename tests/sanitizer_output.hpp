// Output of the sanitized build (FSRACE_SANITIZE) that is not fsrace's own, for tests that read what a
// child fsrace process printed. No namespace: tests/sim/cli_test.cpp names its helper `fsrace`.
#pragma once
#include <string>

/// Drops the line the sanitizer runtime prints at the first fiber switch of a sanitized build
/// ("==PID==WARNING: ASan doesn't fully support makecontext/swapcontext functions ..."): the runtime's own
/// notice, not fsrace's output (fsrace annotates its switches, BOOST_USE_ASAN). Tests that count the lines
/// of fsrace's stderr must not see it.
inline std::string without_asan_ucontext_warning(std::string text) {
  const std::string marker = "WARNING: ASan doesn't fully support makecontext/swapcontext";
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker)) {
    const size_t begin = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
    const size_t end = text.find('\n', at);
    text.erase(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
  }
  return text;
}
