#pragma once
// Report files are written whole or not at all, and only where the user pointed: a temporary file is
// created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW: never through a planted symlink) in the target's
// directory, flushed, then renamed over the target. Anything at the target but a regular file (a
// symlink, FIFO, device node, directory) is refused, never replaced.
#include <functional>
#include <stdexcept>
#include <string>

namespace fsrace::reports {

/// Why a path cannot take a report; what() names the path and says what was expected.
class output_path_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Checks, before any work, that `path` can be written: nothing or a regular file is there, and its
/// directory exists and is writable. Throws output_path_error.
void check_output_path(const std::string& path);

/// Writes `content` atomically to `path` (see above). Throws output_path_error for a path that cannot
/// take a report, std::runtime_error naming the path and the system error for a failed write.
void write_file_atomic(const std::string& path, const std::string& content);

/// The same for content too large to hold in memory (disk images): `fill` writes the file through the
/// descriptor of the exclusively created temporary file (pwrite, ftruncate: sparse files stay sparse)
/// and throws on failure, which removes the temporary file.
void write_file_atomic_with(const std::string& path, const std::function<void(int fd)>& fill);

}  // namespace fsrace::reports
