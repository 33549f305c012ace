// struct btrfs_fs_info: the whole filesystem. Copyable; a copy is the per-execution clone. Large
// stores (device sectors, the buffer cache) are cow_maps over a frozen base, the rest is small.
// Objects refer to each other by key (bytenr, devid, objectid) or device_table handle, never by
// pointer, so a copy is self-contained.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/block_group.hpp"
#include "model/block_rsv.hpp"
#include "model/cow_map.hpp"
#include "model/ctree.hpp"
#include "model/data/fs_data_state.hpp"
#include "model/extent_io/fs_eb_state.hpp"
#include "model/fixes.hpp"
#include "model/maint/fs_maint_state.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/wait_queue.hpp"

namespace fsrace::model {

namespace ondisk {
struct imported_image;
}

class bad_config : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// fs_info->flags bits.
enum : uint32_t { BTRFS_FS_BALANCE_RUNNING = 1u << 0, BTRFS_FS_EXCL_OP = 1u << 1 };

struct btrfs_fs_info : btrfs_fs_data_state, btrfs_fs_eb_state, btrfs_fs_maint_state {
  btrfs_fs_info() = default;
  btrfs_fs_info(const btrfs_fs_info& other);
  btrfs_fs_info& operator=(const btrfs_fs_info&) = delete;

  uint32_t sectorsize = 4096, nodesize = 16384;
  fix_set fixes;
  uint32_t flags = 0;             // BTRFS_FS_BALANCE_RUNNING, BTRFS_FS_EXCL_OP (under balance_mutex)
  uint64_t mount_opt = 0;         // BTRFS_MOUNT_* the model acts on (model/discard.hpp)
  int send_in_progress = 0;       // 9e967495e0e0: sends running, under balance_mutex
  uint64_t last_reloc_trans = 0;  // d96b34248c2f: transid of the last relocation commit

  // Devices by devid (fs_devices->devices): the ones in the filesystem, keyed by their devid now.
  std::map<uint64_t, std::shared_ptr<btrfs_device>> devices;
  // Every device object this filesystem had, by handle (btrfs_device::handle), kept after it left the
  // list or was freed: chunk stripes and holders refer to objects through it, so a clone (which deep-copies
  // the objects) keeps every reference.
  std::vector<std::shared_ptr<btrfs_device>> device_table;
  // Block devices of the machine outside the filesystem, by index (what device add may open).
  std::vector<spare_block_device> spare_bdevs;
  // Chunk mappings by logical start (mapping_tree); deep-copied by the clone (replace finishing changes
  // their stripes in place).
  std::map<uint64_t, map_lookup_ptr> mapping_tree;
  // Block groups by start (block_group_cache_tree); deep-copied by the clone.
  std::map<uint64_t, block_group_ptr> block_group_cache_tree;
  std::vector<btrfs_space_info> space_info;  // DATA, METADATA, SYSTEM
  std::vector<uint64_t> unused_bgs;          // starts, FIFO (fs_info->unused_bgs)
  sched::SpinLock unused_bgs_lock{"fs_info->unused_bgs_lock"};
  // btrfs_pin_extent: start -> what was pinned. The kernel keeps one pinned tree per transaction; an
  // extent freed by transaction T is unpinned by T's commit only (T+1 may pin while T finishes).
  struct pinned_extent {
    uint64_t len = 0, transid = 0;
  };
  std::map<uint64_t, pinned_extent> pinned_extents;
  std::map<std::string, uint64_t> profiles;     // "data"/"metadata"/"system" -> profile flags for new chunks

  // Trees. fs_roots holds subvolumes and snapshots by objectid; the rest are the cow-only trees.
  std::map<uint64_t, std::shared_ptr<btrfs_root>> roots;  // every root by objectid (tree, extent, ...)
  btrfs_root& tree_root() { return *roots.at(BTRFS_ROOT_TREE_OBJECTID); }
  btrfs_root& extent_root() { return *roots.at(BTRFS_EXTENT_TREE_OBJECTID); }
  btrfs_root& chunk_root() { return *roots.at(BTRFS_CHUNK_TREE_OBJECTID); }
  btrfs_root& dev_root() { return *roots.at(BTRFS_DEV_TREE_OBJECTID); }
  btrfs_root& csum_root() { return *roots.at(BTRFS_CSUM_TREE_OBJECTID); }
  btrfs_root* get_fs_root(uint64_t objectid);  // btrfs_get_fs_root: null if none
  uint64_t highest_root_objectid = BTRFS_FS_TREE_OBJECTID;

  // The buffer cache of tree block contents by bytenr (the uptodate extent buffers of the btree inode).
  cow_map<uint64_t, tree_block_ptr> buffer_radix;
  std::map<uint64_t, int> dirty_tree_blocks;  // bytenr -> level: written out at commit

  // Transactions.
  uint64_t generation = 0;                    // last committed transid (super block generation)
  // The super block's sys_chunk_array as the last commit wrote it (super_for_commit, copied in the
  // commit's critical section): the system chunks a reader of the devices finds the chunk tree with.
  std::map<uint64_t, chunk_map> super_sys_chunk_array;
  // super_copy->sys_chunk_array as chunk allocation and removal change it (btrfs_add_system_chunk,
  // btrfs_del_sys_chunk, under chunk_mutex): system chunk start -> bytes its entry takes (disk key + chunk
  // item), and their sum (btrfs_super_sys_array_size), at most BTRFS_SYSTEM_CHUNK_ARRAY_SIZE.
  std::map<uint64_t, uint32_t> sys_chunk_array;
  uint32_t sys_array_size = 0;
  // fs_info->chunk_block_rsv: system space reserved for chunk tree updates (check_system_chunk,
  // btrfs_reserve_chunk_metadata); each handle's share is trans->chunk_bytes_reserved.
  btrfs_block_rsv chunk_block_rsv{BTRFS_BLOCK_GROUP_SYSTEM};
  uint64_t last_trans_committed = 0;
  uint64_t last_transid_started = 0;
  transaction_ptr running_transaction;
  std::vector<transaction_ptr> trans_list;    // fs_info->trans_list: not yet completed, oldest first
  sched::SpinLock trans_lock{"fs_info->trans_lock"};
  sched::WaitQueue transaction_wait{"fs_info->transaction_wait"};          // waits for the commit's critical section
  sched::WaitQueue transaction_blocked_wait{"fs_info->transaction_blocked_wait"};
  sched::WaitQueue writers_wait{"transaction->writer_wait"};
  sched::WaitQueue commit_wait{"transaction->commit_wait"};
  sched::WaitQueue delayed_refs_wait{"btrfs_delayed_ref_head->mutex"};  // lookups of a head being run
  sched::Mutex trans_commit_mutex{"fs_info->transaction_kthread_mutex"};  // one committer at a time
  sched::RwSemaphore commit_root_sem{"fs_info->commit_root_sem"};
  sched::Mutex chunk_mutex{"fs_info->chunk_mutex"};
  sched::Mutex device_list_mutex{"fs_devices->device_list_mutex"};  // fitrim's walk of the devices
  sched::Mutex ro_block_group_mutex{"fs_info->ro_block_group_mutex"};
  sched::Mutex balance_mutex{"fs_info->balance_mutex"};
  sched::Mutex cleaner_mutex{"fs_info->cleaner_mutex"};
  sched::Mutex reclaim_bgs_lock{"fs_info->reclaim_bgs_lock"};
  sched::Mutex reloc_mutex{"fs_info->reloc_mutex"};

  // Scrub pause handshake: a commit raises scrub_pause_req and waits until every running scrub has
  // paused at a safe point (scrub_blocked_if_needed).
  sched::Mutex scrub_lock{"fs_info->scrub_lock"};
  int scrubs_running = 0, scrubs_paused = 0, scrub_pause_req = 0;
  // btrfs_scrub_cancel raises it while it waits for scrubs_running to drop to 0; every running scrub sees
  // it before its next extent search and returns -ECANCELED.
  int scrub_cancel_req = 0;
  sched::WaitQueue scrub_pause_wait{"fs_info->scrub_pause_wait"};

  // The images this filesystem was imported from (null after the model's mkfs): the export writes their
  // identity, and each tree block nothing changed as the bytes it was read from. Immutable, shared.
  std::shared_ptr<const ondisk::imported_image> imported;

  // Kernel log (btrfs_err / btrfs_warn / btrfs_crit), shown with a finding.
  std::vector<std::string> dmesg;
  void log(std::string line) { dmesg.push_back(std::move(line)); }

  // btrfs_find_device: the device on the list with that devid now, or null.
  btrfs_device* device(uint64_t devid);
  // The device object behind a handle (a chunk stripe's map->stripes[i].dev), on the list or not.
  btrfs_device& dev(dev_handle handle) { return *device_table.at(handle); }
  const btrfs_device& dev(dev_handle handle) const { return *device_table.at(handle); }
  // A new device object: gets its handle and joins the list under its devid.
  btrfs_device& add_device(std::shared_ptr<btrfs_device> device);
};

// Makes the current state the shared base that clones copy from (cow_map::freeze on every store).
void freeze(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
