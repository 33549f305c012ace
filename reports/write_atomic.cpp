#include "reports/write_atomic.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace fsrace::reports {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Refuses a target that is not a regular file (lstat: a symlink is refused, not followed).
void check_target(const std::string& path) {
  if (path.empty()) throw output_path_error("an empty output path; expected a file name");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      throw output_path_error(fmt::format("cannot write {}: refusing to replace it with a report: it is {}; expected "
                                          "a regular file or a new name", path, kind_of(st.st_mode)));
    return;
  }
  if (errno != ENOENT)
    throw output_path_error(fmt::format("cannot write {}: cannot check the output path: {}", path, std::strerror(errno)));
}

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path, what, std::strerror(err)));
}

}  // namespace

void check_output_path(const std::string& path) {
  check_target(path);
  if (!path.empty() && path.back() == '/')
    throw output_path_error(fmt::format("cannot write {}: it is a directory name; expected a file name", path));
  const std::string dir = directory_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw output_path_error(fmt::format("cannot write {}: its directory {} cannot be used: {}", path, dir, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) throw output_path_error(fmt::format("cannot write {}: {} is not a directory", path, dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw output_path_error(fmt::format("cannot write {}: its directory {} is not writable: {}", path, dir, std::strerror(errno)));
}

void write_file_atomic_with(const std::string& path, const std::function<void(int fd)>& fill) {
  check_target(path);
  const std::string dir = directory_of(path);
  // Exclusive creation of a fresh name: an existing file or a planted symlink there is never opened.
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = fmt::format("{}/.{}.fsrace-{}-{}.tmp", dir, base_of(path), static_cast<long>(::getpid()), counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) fail(path, "cannot create a temporary file in its directory", errno);
  }
  if (fd < 0) fail(path, "no free temporary file name in its directory", EEXIST);
  auto abandon = [&](const char* what, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, what, err);
  };
  try {
    fill(fd);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(fd) != 0) abandon("fsync", errno);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) abandon("close", errno);
  try {
    check_target(path);  // again, just before replacing it
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) abandon("rename", errno);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // the rename itself durable; best effort (some filesystems refuse fsync of a directory)
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic_with(path, [&](int fd) {
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(path, "write", errno);
      if (n == 0) fail(path, "write", EIO);
      done += static_cast<size_t>(n);
    }
  });
}

}  // namespace fsrace::reports
