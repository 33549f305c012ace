#include "model/trans_abort.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

void btrfs_abort_transaction_at(btrfs_trans_handle& trans, int error, const char* function) {
  // abort_should_print_stack(): no backtrace for -EIO, -EROFS, -ENOMEM.
  const bool warn = error != -EIO && error != -EROFS && error != -ENOMEM;
  std::string message = fmt::format("BTRFS: Transaction aborted (error {}) in {} (transid {})", error, function,
                                    trans.transid);
  if (trans.fs_info) trans.fs_info->log(message);
  sched::fail(warn ? sched::FindingKind::Warn : sched::FindingKind::Violation,
              warn ? fmt::format("WARNING at {}: {}", function, message) : message);
}

}  // namespace fsrace::model
