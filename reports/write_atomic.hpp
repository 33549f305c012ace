#pragma once
#include <string>

namespace fsrace::reports {

/// Writes `content` to a temporary file next to `path`, flushes it, then renames it over `path`, so a
/// reader never sees a partial report. Throws std::runtime_error naming the path and the system error.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace fsrace::reports
