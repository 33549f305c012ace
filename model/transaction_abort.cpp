#include "model/transaction_abort.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

void btrfs_abort_transaction_at(btrfs_fs_info* fs_info, int error, const char* function, const std::string& what) {
  // abort_should_print_stack(): no backtrace for -EIO, -EROFS, -ENOMEM.
  const bool warn = error != -EIO && error != -EROFS && error != -ENOMEM;
  std::string message = fmt::format("BTRFS: Transaction aborted (error {}) in {}", error, function);
  if (!what.empty()) message += ": " + what;
  if (fs_info) fs_info->log(message);
  sched::fail(warn ? sched::FindingKind::Warn : sched::FindingKind::Violation,
              warn ? fmt::format("WARNING at {}: {}", function, message) : message);
}

void btrfs_abort_transaction_at(btrfs_trans_handle& trans, int error, const char* function) {
  btrfs_abort_transaction_at(trans.fs_info, error, function, fmt::format("transid {}", trans.transid));
}

}  // namespace fsrace::model
