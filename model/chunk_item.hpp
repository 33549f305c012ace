// The chunk tree side of chunk allocation and removal (volumes.c): the chunk item with its device item
// updates, and the super block's sys_chunk_array, which lists the system chunks a mount reads the chunk
// tree through and holds at most BTRFS_SYSTEM_CHUNK_ARRAY_SIZE bytes.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

constexpr uint32_t BTRFS_SYSTEM_CHUNK_ARRAY_SIZE = 2048;
constexpr uint32_t BTRFS_DISK_KEY_SIZE = 17;  // sizeof(struct btrfs_disk_key)

// btrfs_chunk_item_size: struct btrfs_chunk (with its first stripe) and the other stripes.
uint32_t btrfs_chunk_item_size(int num_stripes);

// btrfs_chunk_alloc_add_chunk_item (6.1: phase 1 under chunk_mutex; phase 2 for a chunk whose item phase 1
// did not insert): the device item of every stripe (btrfs_update_device), the chunk item, and for a system
// chunk its entry in sys_chunk_array (btrfs_add_system_chunk). Returns 0 or the first error (-EFBIG when
// the array is full); the caller aborts the transaction.
int btrfs_chunk_alloc_add_chunk_item(btrfs_trans_handle& trans, uint64_t chunk_offset);
// btrfs_add_system_chunk: appends the chunk's entry to super_copy->sys_chunk_array, -EFBIG when it would
// pass BTRFS_SYSTEM_CHUNK_ARRAY_SIZE.
int btrfs_add_system_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset, int num_stripes);
// btrfs_del_sys_chunk: removes the chunk's entry (-ENOENT when it has none: nothing to do).
int btrfs_del_sys_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset);

}  // namespace fsrace::model
