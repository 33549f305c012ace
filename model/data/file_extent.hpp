// File extent items (EXTENT_DATA) of an inode and the data references they hold
// (fs/btrfs/file.c btrfs_drop_extents / btrfs_mark_extent_written, inode.c
// insert_reserved_file_extent / btrfs_truncate_inode_items / btrfs_cross_ref_exist). Every change of a
// reference goes through delayed data refs, so extent items change only when delayed refs run.
#pragma once
#include <cstdint>
#include <vector>

#include "model/items.hpp"
#include "model/key.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;
struct btrfs_inode;
struct btrfs_root;
struct btrfs_path;

struct file_extent {
  uint64_t key_offset = 0;  // file offset of the item (key.offset)
  btrfs_file_extent_item fi;
  uint64_t end() const { return key_offset + fi.num_bytes; }
  // The disk bytenr of file offset `pos` inside this item (regular and prealloc extents).
  uint64_t disk_at(uint64_t pos) const { return fi.disk_bytenr + fi.offset + (pos - key_offset); }
  // The data reference's offset field (file offset of the extent's first byte).
  uint64_t ref_offset() const { return key_offset - fi.offset; }
};

// The file extent items of `ino` overlapping [start, end), in file order, from the tree's current
// root. No scheduling point (callers label the lookup).
std::vector<file_extent> btrfs_lookup_file_extents(btrfs_fs_info& fs_info, btrfs_root& root, uint64_t ino,
                                                   uint64_t start, uint64_t end);

// btrfs_lookup_file_extent (file-item.c, no transaction, mod 0): btrfs_search_slot in the current root
// for (ino, EXTENT_DATA, offset). 0 found, 1 not (the slot is where it would go), <0 error. No scheduling
// point (callers label the search).
int btrfs_lookup_file_extent(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path, uint64_t ino,
                             uint64_t offset);

// btrfs_drop_extents: removes file extent items from [start, end), trimming and splitting the ones
// that straddle its edges; a split adds a reference, a removed item drops one. `bytes_found` gets the
// allocated bytes dropped (drop_args.bytes_found): with 2766ff61762c the caller updates the inode's bytes
// (btrfs_update_inode_bytes); before it the drop took them off itself, extent by extent.
int btrfs_drop_extents(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t start, uint64_t end,
                       uint64_t* bytes_found = nullptr);
// btrfs_update_inode_bytes (inode.c): the inode's bytes lose del_bytes and gain add_bytes in one step
// (under inode->lock in the kernel, which btrfs_getattr reads them under).
void btrfs_update_inode_bytes(btrfs_inode& inode, uint64_t add_bytes, uint64_t del_bytes);
// insert_reserved_file_extent: drops what was in [file_pos, file_pos + num_bytes), inserts the item,
// updates the inode's bytes (2766ff61762c: once, after the insert) and btrfs_alloc_reserved_file_extent
// queues the data reference of the new extent (must_insert_reserved: its extent item is inserted when
// delayed refs run).
int insert_reserved_file_extent(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t file_pos,
                                uint64_t disk_bytenr, uint64_t disk_num_bytes, uint64_t num_bytes, uint8_t type);
// btrfs_mark_extent_written: [start, end) of prealloc items becomes regular, splitting them.
int btrfs_mark_extent_written(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t start, uint64_t end);
// btrfs_truncate_inode_items: removes every item of the inode with type >= min_type, keeping
// EXTENT_DATA below new_size (the straddling one is trimmed). Evict passes (0, 0).
int btrfs_truncate_inode_items(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t new_size, uint8_t min_type);
// btrfs_cross_ref_exist: true if the extent at disk_bytenr may be referenced by anything other than
// (root, ino, offset): several references (extent tree plus delayed refs), or the extent is older
// than the root's last snapshot.
// As 6.1, it holds no transaction handle: check_delayed_ref reads the running transaction (taking a
// reference under trans_lock), so a nocow writer never blocks a commit nor waits for one here.
bool btrfs_cross_ref_exist(btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t offset,
                           uint64_t disk_bytenr, uint64_t disk_num_bytes);
// btrfs_extent_readonly: the block group holding bytenr is read-only (or gone).
bool btrfs_extent_readonly(btrfs_fs_info& fs_info, uint64_t bytenr);

}  // namespace fsrace::model
