#pragma once
// btrfs_abort_transaction where the declared kernel calls it: the transaction is aborted and the
// filesystem goes read-only. 6.1 WARNs with a backtrace at the aborting function ("BTRFS: Transaction
// aborted (error E)") unless abort_should_print_stack() says no (-EIO, -EROFS, -ENOMEM: an error line
// only). Either way a user sees the filesystem fail: a finding (kind WARN, or violation for those three
// errors) that ends the execution, never a tool error. What follows an abort (cleanup_transaction, the
// read-only filesystem) is not modelled.
#include <string>

#include "scheduler/finding.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

// The finding, naming the errno, the aborting function and (when given) what failed; logged to the
// fs_info's log when there is one.
[[noreturn]] void btrfs_abort_transaction_at(btrfs_fs_info* fs_info, int error, const char* function,
                                             const std::string& what);
[[noreturn]] void btrfs_abort_transaction_at(btrfs_trans_handle& trans, int error, const char* function);

}  // namespace fsrace::model

/// Where the kernel has `if (ret) btrfs_abort_transaction(trans, ret);`: btrfs_abort_transaction(trans, ret).
#define btrfs_abort_transaction(trans, error) ::fsrace::model::btrfs_abort_transaction_at((trans), (error), __func__)

/// The same where the model has no handle at hand, with what failed:
/// FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "chunk item {} insert", chunk_offset).
#define FSRACE_ABORT_TRANSACTION_IF(cond, error, ...)                                                    \
  do {                                                                                                  \
    if (__builtin_expect(!!(cond), 0))                                                                  \
      ::fsrace::model::btrfs_abort_transaction_at(nullptr, (error), __func__,                           \
                                                  ::fsrace::sched::detail::opt_message(__VA_ARGS__));   \
  } while (0)
