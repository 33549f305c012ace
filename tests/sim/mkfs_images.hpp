// Device images made by mkfs.btrfs (btrfs-progs) for the import's tests, and a reader of image files.
#pragma once
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/ondisk/image_reader.hpp"
#include "tests/reports/process.hpp"

namespace fsrace::test {

inline model::ondisk::device_image_source file_source(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto closer = std::shared_ptr<int>(new int(fd), [](int* f) {
    ::close(*f);
    delete f;
  });
  return {p.string(), std::filesystem::file_size(p), [closer](uint64_t physical, size_t n) {
            std::vector<uint8_t> b(n, 0);
            const ssize_t got = ::pread(*closer, b.data(), n, off_t(physical));
            REQUIRE(got >= 0);
            return b;
          }};
}

inline bool have_mkfs() { return run_shell("command -v mkfs.btrfs").code == 0; }

// Ends the test case, saying so, where btrfs-progs is missing (never a silent pass).
#define FSRACE_SKIP_WITHOUT_MKFS()                                                              \
  do {                                                                                          \
    if (!::fsrace::test::have_mkfs()) {                                                         \
      WARN("SKIPPED: mkfs.btrfs (btrfs-progs) is not installed; .ci/install-deps installs it"); \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

// `count` image files of `size` in a fresh directory scratch_dir()/name, made by `mkfs.btrfs -q -f
// OPTIONS FILES...`. Returns the files.
inline std::vector<std::filesystem::path> mkfs_image_files(const std::string& name, int count, const std::string& options,
                                                            const std::string& size = "256M") {
  const std::filesystem::path dir = scratch_dir() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string files;
  std::vector<std::filesystem::path> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(dir / fmt::format("{}.img", i));
    REQUIRE(run_shell("truncate -s " + size + " '" + out.back().string() + "'").code == 0);
    files += " '" + out.back().string() + "'";
  }
  const auto r = run_shell("mkfs.btrfs -q -f " + options + files);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return out;
}

inline std::vector<model::ondisk::device_image_source> mkfs_images(const std::string& name, int count, const std::string& options) {
  std::vector<model::ondisk::device_image_source> out;
  for (const auto& p : mkfs_image_files(name, count, options)) out.push_back(file_source(p));
  return out;
}

}  // namespace fsrace::test
