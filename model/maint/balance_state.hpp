// fs_info state of balance / relocation (fs_info->balance_ctl, fs_info->reloc_ctl, the send/relocation
// exclusion of 1cea5cf0e664). Owned by the relocation engineer. Plain values only: a copy of fs_info
// (the per-execution clone) copies them.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/wait_queue.hpp"

namespace fsrace::model {

// fs_info->flags bit (next to BTRFS_FS_BALANCE_RUNNING / BTRFS_FS_EXCL_OP in fs_info.hpp): a chunk
// relocation is running (reloc_chunk_start / reloc_chunk_end). Send checks it under send_reloc_lock
// with 1cea5cf0e664; with d96b34248c2f, switch_commit_roots records last_reloc_trans while it is set.
constexpr uint32_t BTRFS_FS_RELOC_RUNNING = 1u << 2;

// Balance filters of one chunk type (struct btrfs_balance_args, the subset the model knows).
struct btrfs_balance_args {
  int usage = -1;             // BTRFS_BALANCE_ARGS_USAGE: only chunks used < usage% (0: empty ones); -1 off
  uint64_t vstart = 0, vend = 0;  // BTRFS_BALANCE_ARGS_VRANGE when vend > vstart: chunks overlapping it
  uint64_t limit = 0;         // BTRFS_BALANCE_ARGS_LIMIT: at most this many chunks of the type; 0 off
};

// Balance type flags (BTRFS_BALANCE_DATA / SYSTEM / METADATA) and BTRFS_BALANCE_RESUME (uapi values):
// RESUME asks btrfs_ioctl_balance to continue the paused fs_info->balance_ctl.
enum : uint64_t {
  BTRFS_BALANCE_DATA = 1ull << 0,
  BTRFS_BALANCE_SYSTEM = 1ull << 1,
  BTRFS_BALANCE_METADATA = 1ull << 2,
  BTRFS_BALANCE_RESUME = 1ull << 4,
};

struct btrfs_balance_progress {
  uint64_t expected = 0, considered = 0, completed = 0;
};

// struct btrfs_balance_control: what `btrfs balance start` asked for and how far it got.
struct btrfs_balance_control {
  uint64_t flags = BTRFS_BALANCE_DATA | BTRFS_BALANCE_METADATA | BTRFS_BALANCE_SYSTEM;
  btrfs_balance_args data, meta, sys;
  btrfs_balance_progress stat;
};

// Relocation stages (relocation.c).
enum : uint8_t { MOVE_DATA_EXTENTS = 0, UPDATE_DATA_PTRS = 1 };

// One data extent of the group copied into the data reloc inode: its pages (read from the old
// location) and the prealloc extent they are written to (btrfs_prealloc_file_range). The kernel keeps
// this as file extent items of an inode in the data reloc tree; the model keeps the inode in memory.
struct reloc_data_extent {
  uint64_t num_bytes = 0;
  uint64_t new_bytenr = 0;                              // the reserved prealloc extent outside the group
  std::shared_ptr<const std::vector<uint8_t>> pages;    // content read from the old location (dirty pages)
  bool written = false;     // the reloc inode's ordered extent finished: get_new_location finds it
  // The reloc inode's prealloc file extent item references new_bytenr (root BTRFS_DATA_RELOC_TREE_OBJECTID):
  // its extent item is queued, and lives until the reloc inode is evicted (reloc_release_data_inode).
  bool reloc_ref = false;
};

// struct file_extent_cluster: contiguous data extents relocated together.
struct file_extent_cluster {
  uint64_t start = 0, end = 0;      // [start, end] inclusive, like the kernel
  std::vector<uint64_t> boundary;   // first byte of each extent
};

// struct reloc_control: one block group relocation.
struct reloc_control {
  uint64_t block_group = 0, length = 0;  // the group being relocated
  uint64_t data_inode = 0;               // ino of the data reloc inode (in memory only in the model)
  uint8_t stage = MOVE_DATA_EXTENTS;
  uint64_t search_start = 0;
  uint64_t extents_found = 0;
  bool found_file_extent = false;
  bool create_reloc_tree = false;
  file_extent_cluster cluster;
  std::set<uint64_t> processed_blocks;              // tree blocks relocated in this pass
  std::map<uint64_t, reloc_data_extent> data_extents;  // old bytenr -> its copy in the reloc inode
  std::set<uint64_t> skipped_extents;  // UPDATE_DATA_PTRS: data extents not moved that no file extent item references (left in place)
  std::vector<uint64_t> found_sample;  // the first extents found by this pass (for messages)
};

// Counters for tests and reports (never read by model decisions).
struct btrfs_reloc_stats {
  uint64_t block_groups_relocated = 0, passes = 0;
  uint64_t tree_blocks_relocated = 0;   // COW paths run to move a tree block out of the group
  uint64_t data_extents_moved = 0;      // copied to a new location (MOVE_DATA_EXTENTS)
  uint64_t file_extents_updated = 0;    // file extent items repointed (UPDATE_DATA_PTRS)
  uint64_t data_extents_skipped = 0;    // found in UPDATE_DATA_PTRS not moved and unreferenced
  uint64_t ordered_extents_waited = 0;  // by btrfs_wait_ordered_roots before relocating
};

struct btrfs_fs_balance_state {
  std::optional<btrfs_balance_control> balance_ctl;  // fs_info->balance_ctl, under balance_mutex
  // atomic_t balance_pause_req / balance_cancel_req: read by __btrfs_balance between chunks and by
  // btrfs_should_cancel_balance inside relocation (plain reads: the kernel reads them without a lock).
  int balance_pause_req = 0, balance_cancel_req = 0;
  // atomic_t reloc_cancel_req: the cancel of device remove / resize, which the model has no operation
  // for; it stays 0 and is read where 6.1 reads it.
  int reloc_cancel_req = 0;
  // Pause and cancel sleep here until BTRFS_FS_BALANCE_RUNNING is clear; btrfs_balance wakes them.
  sched::WaitQueue balance_wait_q{"fs_info->balance_wait_q"};
  // fs_info->exclusive_operation == BTRFS_EXCLOP_BALANCE_PAUSED: a paused balance keeps the exclusive
  // operation (BTRFS_FS_EXCL_OP stays set) until it is resumed or canceled.
  bool exclop_balance_paused = false;
  std::optional<reloc_control> reloc_ctl;             // fs_info->reloc_ctl, under reloc_mutex
  // 1cea5cf0e664: send_in_progress and BTRFS_FS_RELOC_RUNNING are tested and changed under this lock.
  sched::SpinLock send_reloc_lock{"fs_info->send_reloc_lock"};
  btrfs_reloc_stats reloc_stats;
};

}  // namespace fsrace::model
