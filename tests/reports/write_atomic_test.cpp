// Report files are written whole, only where the user pointed, never through a planted symlink, and
// nothing but a regular file is ever replaced (run as root here, as in CI: permissions do not save us).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reports/write_atomic.hpp"
#include "tests/reports/process.hpp"

namespace {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fsrace::test::scratch_dir() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("write_file_atomic: writes the whole content and leaves no temporary file") {
  const fs::path d = fresh_dir("atomic-plain");
  fsrace::reports::write_file_atomic((d / "r.json").string(), "first");
  fsrace::reports::write_file_atomic((d / "r.json").string(), "second, longer");
  CHECK(fsrace::test::slurp(d / "r.json") == "second, longer");
  CHECK(std::distance(fs::directory_iterator(d), fs::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomic: symlinks planted at temporary names are never followed") {
  const fs::path d = fresh_dir("atomic-planted");
  std::ofstream(d / "victim") << "precious";
  // Every name the writer could pick first for this process: the writer must create a new one.
  for (int i = 0; i < 64; ++i)
    fs::create_symlink(d / "victim", d / (".r.json.fsrace-" + std::to_string(::getpid()) + "-" + std::to_string(i) + ".tmp"));
  fs::create_symlink(d / "victim", d / ("r.json.tmp." + std::to_string(::getpid())));  // the old naming scheme
  fsrace::reports::write_file_atomic((d / "r.json").string(), "report");
  CHECK(fsrace::test::slurp(d / "victim") == "precious");
  CHECK(fsrace::test::slurp(d / "r.json") == "report");
  CHECK(fs::is_regular_file(fs::symlink_status(d / "r.json")));
}

TEST_CASE("write_file_atomic and check_output_path refuse anything but a regular file") {
  const fs::path d = fresh_dir("atomic-special");
  std::ofstream(d / "victim") << "precious";
  fs::create_symlink(d / "victim", d / "link.json");
  REQUIRE(::mkfifo((d / "fifo.json").c_str(), 0600) == 0);
  fs::create_directories(d / "dir.json");
  for (const char* name : {"link.json", "fifo.json", "dir.json"}) {
    INFO(name);
    const std::string p = (d / name).string();
    CHECK_THROWS_AS(fsrace::reports::check_output_path(p), fsrace::reports::output_path_error);
    CHECK_THROWS_WITH(fsrace::reports::write_file_atomic(p, "report"), Catch::Contains("refusing to replace it"));
  }
  CHECK(fs::is_symlink(d / "link.json"));
  CHECK(fsrace::test::slurp(d / "victim") == "precious");
  CHECK(fs::is_fifo(d / "fifo.json"));
  CHECK(fs::is_directory(d / "dir.json"));
  const std::string missing = (d / "no-such-dir" / "r.json").string();
  CHECK_THROWS_AS(fsrace::reports::check_output_path(missing), fsrace::reports::output_path_error);
  CHECK_THROWS_WITH(fsrace::reports::write_file_atomic(missing, "x"), Catch::Contains("cannot create a temporary file"));
}

TEST_CASE("write_file_atomic: a device node at the report path is refused, not replaced (as root)") {
  if (::geteuid() != 0) {
    WARN("not root: cannot make a device node; skipped");
    return;
  }
  const fs::path d = fresh_dir("atomic-device");
  const fs::path node = d / "null.json";
  REQUIRE(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);  // like /dev/null
  CHECK_THROWS_WITH(fsrace::reports::write_file_atomic(node.string(), "report"), Catch::Contains("a character device"));
  struct stat st {};
  REQUIRE(::lstat(node.c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("fsrace run checks every output path before the first scenario runs") {
  const fs::path d = fresh_dir("run-paths");
  REQUIRE(::mkfifo((d / "fifo.xml").c_str(), 0600) == 0);
  const std::string scenario = std::string(FSRACE_SOURCE_DIR) + "/scenarios/scrub-vs-bg-deletion.json";
  auto r = fsrace::test::run_shell(fsrace::test::fsrace_cmd(
      "run '" + scenario + "' --junit '" + (d / "missing-dir" / "r.xml").string() + "' --json '" + (d / "good.json").string() +
      "' --html '" + (d / "fifo.xml").string() + "'"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--junit: cannot write " + (d / "missing-dir" / "r.xml").string() + ": its directory"));
  CHECK_THAT(r.err, Catch::Contains("--html: cannot write " + (d / "fifo.xml").string() + ": refusing to replace it with a report: it is a FIFO"));
  CHECK(r.out.empty());  // nothing ran: no summary
  CHECK(!fs::exists(d / "good.json"));
  CHECK(fs::is_fifo(d / "fifo.xml"));
  r = fsrace::test::run_shell(fsrace::test::fsrace_cmd("run '" + scenario + "' --json '" + (d / "same").string() +
                                                      "' --html '" + (d / "same").string() + "'"));
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("is also the path of --json"));
}
