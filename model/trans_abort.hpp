// btrfs_abort_transaction: a transaction abort is a finding. The kernel prints "BTRFS: Transaction
// aborted (error E)" with a WARN (a backtrace at the aborting function) unless the error is -EIO,
// -EROFS or -ENOMEM, and forces the filesystem read-only; either way the user sees it. The execution
// ends here: what the kernel does after an abort (cleanup_transaction, read-only mount) is not modelled.
#pragma once

namespace fsrace::model {

struct btrfs_trans_handle;

// The finding: kind WARN for errors the kernel WARNs on, violation for -EIO, -EROFS and -ENOMEM; the
// message names the errno and the aborting function.
[[noreturn]] void btrfs_abort_transaction_at(btrfs_trans_handle& trans, int error, const char* function);

}  // namespace fsrace::model

// Call as the kernel does, in the function that aborts: btrfs_abort_transaction(trans, ret).
#define btrfs_abort_transaction(trans, error) ::fsrace::model::btrfs_abort_transaction_at((trans), (error), __func__)
