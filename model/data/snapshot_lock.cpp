// struct btrfs_drew_lock (locking.c): root->snapshot_lock between nocow writers and snapshot creation.
// The counters change under atomics in the kernel: each change is part of the caller's current step
// (no scheduling point of its own); only a reader that must wait for writers sleeps.
#include "model/data/fs_data_state.hpp"
#include "model/data/nocow.hpp"
#include "model/data/wait.hpp"

namespace fsrace::model {

bool btrfs_drew_try_write_lock(btrfs_drew_lock& lock) {
  if (lock.readers) return false;
  // percpu_counter_inc(&writers), smp_mb, then readers checked again: one step here.
  lock.writers++;
  return true;
}

void btrfs_drew_write_unlock(btrfs_drew_lock& lock) {
  lock.writers--;
  lock.pending_readers.wake_all();  // cond_wake_up(&lock->pending_readers)
}

void btrfs_drew_read_lock(btrfs_drew_lock& lock) {
  lock.readers++;  // atomic_inc(&lock->readers): new writers back off from now on
  if (lock.writers == 0) return;
  wait_until(lock.pending_readers, sched::L("btrfs_drew_read_lock(snapshot_lock): wait for writers"),
             [&] { return lock.writers == 0; });
}

void btrfs_drew_read_unlock(btrfs_drew_lock& lock) {
  if (--lock.readers == 0) lock.pending_writers.wake_all();
}

}  // namespace fsrace::model
