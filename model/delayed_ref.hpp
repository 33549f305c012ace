// Delayed references (fs/btrfs/delayed-ref.c): reference changes queued in the running transaction
// and applied to the extent tree by btrfs_run_delayed_refs (at commit).
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "model/delayed_ref_heads.hpp"
#include "model/small_vector.hpp"

namespace fsrace::model {

struct btrfs_trans_handle;
struct btrfs_transaction;
struct btrfs_fs_info;

struct btrfs_delayed_ref_node {
  int action = +1;          // +1 BTRFS_ADD_DELAYED_REF, -1 BTRFS_DROP_DELAYED_REF
  uint64_t root = 0;        // owning root
  uint64_t owner = 0;       // inode number (data) or level (tree block)
  uint64_t offset = 0;      // file offset - extent offset (data)
  uint64_t parent = 0;      // a full back reference from this tree block (SHARED_*_REF), else 0
};
struct btrfs_delayed_ref_head {
  uint64_t bytenr = 0, num_bytes = 0;
  bool is_data = false;
  bool must_insert_reserved = false;  // a new extent: insert its extent item when run
  int level = 0;                      // tree blocks
  int ref_mod = 0;                    // sum of actions
  uint64_t flags_to_set = 0;          // head->extent_op (btrfs_set_disk_extent_flags): OR-ed into the item
  small_vector<btrfs_delayed_ref_node, 2> refs;  // usually one or two (small_vector.hpp)
};
struct btrfs_delayed_ref_root {
  delayed_ref_heads<btrfs_delayed_ref_head> heads;  // by bytenr: run in bytenr order
  // The head being run (its head->mutex held): taken out of `heads` while the extent tree changes,
  // so lookups of its bytenr wait for it (btrfs_lookup_extent_info) instead of counting it twice or
  // not at all. 0: none.
  uint64_t running_bytenr = 0;
};

// btrfs_add_delayed_tree_ref / btrfs_add_delayed_data_ref (btrfs_ref: parent 0 for a reference by
// root, else the bytenr of the referencing tree block).
void btrfs_add_delayed_tree_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, int level,
                                uint64_t root, uint64_t parent, int action, bool new_extent);
void btrfs_add_delayed_data_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, uint64_t root,
                                uint64_t ino, uint64_t offset, uint64_t parent, int action, bool new_extent);
// btrfs_set_disk_extent_flags: a delayed extent op that ORs `flags` into the tree block's extent item.
void btrfs_set_disk_extent_flags(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, int level,
                                 uint64_t flags);
// check_ref_cleanup: when the head of `bytenr` holds no refs any more (a new tree block's addition
// cancelled by its drop), delete it; 1 when it was a new extent (must_insert_reserved): its item never
// reaches the extent tree and the caller gives the reservation back.
int check_ref_cleanup(btrfs_trans_handle& trans, uint64_t bytenr);
// btrfs_run_delayed_refs: applies queued heads to the extent tree, in bytenr order, one head at a
// time. `all` (count == (unsigned long)-1): until none is left, those queued meanwhile included;
// otherwise (count == 0, the commit's first pass) the heads queued when it starts. 0 or negative errno.
int btrfs_run_delayed_refs(btrfs_trans_handle& trans, bool all = true);
// btrfs_lookup_extent_info: the extent's refs and flags as the extent tree plus pending delayed refs
// (ref_mod, extent op) see them.
void btrfs_lookup_extent_info(btrfs_trans_handle& trans, uint64_t bytenr, bool is_data, uint64_t* refs,
                              uint64_t* flags);
// Its refs alone.
uint64_t btrfs_lookup_extent_refs(btrfs_trans_handle& trans, uint64_t bytenr, bool is_data);
// The same without a handle: the delayed refs of cur_trans (none when null), as check_delayed_ref reads
// the running transaction under trans_lock.
uint64_t btrfs_lookup_extent_refs(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, uint64_t bytenr, bool is_data);

}  // namespace fsrace::model
