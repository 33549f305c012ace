// fs_info state of send (send contexts) and snapshot creation. Owned by the send engineer.
//
// Besides the kernel's fields it holds the user-space end of send: the streams `btrfs send` wrote
// and the subvolumes `btrfs receive` built from them, so end-of-run checks can compare what was
// received with the snapshot that was sent. Everything here is a value (copying fs_info copies it).
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "model/maint/receive_mirror.hpp"
#include "model/maint/send_stream.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"

namespace fsrace::model {

// Per subvolume root: root->send_in_progress and the root item fields send and receive use.
struct btrfs_root_send_info {
  int send_in_progress = 0;  // root->send_in_progress (under root->root_item_lock)
  int dedupe_in_progress = 0;  // root->dedupe_in_progress (62d54f3a7fa2; under root->root_item_lock)
  uint64_t parent_uuid = 0;  // root_item.parent_uuid: the source of a snapshot (root objectid; 0 = none)
  uint64_t ctransid = 0;     // root_item.ctransid: transid of the snapshot's creation
  std::string name;          // the name it was created under (for messages and the stream's path)
  bool orphan_item_inserted = false;  // root->state BTRFS_ROOT_ORPHAN_ITEM_INSERTED (btrfs_delete_subvolume)
};

struct btrfs_fs_send_state {
  // fs_info->subvol_sem: snapshot and subvolume creation read it (btrfs_mksubvol), subvolume deletion
  // writes it (btrfs_delete_subvolume).
  sched::RwSemaphore subvol_sem{"fs_info->subvol_sem"};
  std::map<uint64_t, btrfs_root_send_info> root_send_info;  // by root objectid
  std::map<std::string, send_stream_ptr> send_streams;      // user space: streams by name
  received_subvol_map received_subvols;                     // user space: received subvolumes by uuid
};

}  // namespace fsrace::model
