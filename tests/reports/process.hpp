#pragma once
// Runs a shell command for the process-level report tests and captures its exit code and output.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/sanitizer_output.hpp"

namespace fsrace::test {

struct process_result {
  int code;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A directory of this test process for its files (and Chromium's profile), removed when the process ends.
inline const std::filesystem::path& scratch_dir() {
  struct owned {
    std::filesystem::path path;
    ~owned() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const owned dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("fsrace-reports-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return owned{d};
  }();
  return dir.path;
}

/// Runs `command` with sh in the scratch directory; stdout and stderr are captured (and logged on failure).
inline process_result run_shell(const std::string& command) {
  const auto out = scratch_dir() / "stdout.txt", err = scratch_dir() / "stderr.txt";
  const std::string cmd = "cd '" + scratch_dir().string() + "' && { " + command + " ; } >'" + out.string() + "' 2>'" +
                          err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  process_result r{WEXITSTATUS(status), slurp(out), without_asan_ucontext_warning(slurp(err))};
  UNSCOPED_INFO(command << "\n-> exit " << r.code << "\nstdout:\n" << r.out.substr(0, 4000) << "\nstderr:\n" << r.err.substr(0, 4000));
  return r;
}

inline std::string fsrace_cmd(const std::string& args) { return "'" FSRACE_BINARY "' " + args; }

}  // namespace fsrace::test
