#pragma once
// btrfs_abort_transaction where the declared kernel calls it: the transaction is aborted and the
// filesystem goes read-only (the kernel WARNs with a stack for every error but -EIO, -EROFS and
// -ENOMEM, and logs "Transaction aborted (error N)" for those). Whatever the error, a user sees the
// filesystem fail: a finding of kind WARN that ends the execution, never a tool error.
#include <fmt/format.h>

#include "scheduler/finding.hpp"

namespace fsrace::model::detail {
inline std::string abort_message(int error, const std::string& what) {
  return what.empty() ? fmt::format("BTRFS: Transaction aborted (error {})", error)
                      : fmt::format("BTRFS: Transaction aborted (error {}): {}", error, what);
}
}  // namespace fsrace::model::detail

/// FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "chunk item {} insert", chunk_offset): where the kernel has
/// `if (ret) btrfs_abort_transaction(trans, ret);`.
#define FSRACE_ABORT_TRANSACTION_IF(cond, error, ...)                                              \
  FSRACE_FINDING_IF_(Warn, "btrfs_abort_transaction", cond, #cond, "{}",                            \
                     ::fsrace::model::detail::abort_message(                                       \
                         (error), ::fsrace::sched::detail::opt_message(__VA_ARGS__)))
