// btrfs keys, item types and well-known objectids, with the on-disk values (fs/btrfs/ctree.h,
// include/uapi/linux/btrfs_tree.h), so a later serialiser to the real format is an addition.
#pragma once
#include <compare>
#include <cstdint>
#include <string>

namespace fsrace::model {

// Item types (btrfs_tree.h).
enum : uint8_t {
  BTRFS_INODE_ITEM_KEY = 1,
  BTRFS_INODE_REF_KEY = 12,
  BTRFS_ORPHAN_ITEM_KEY = 48,
  BTRFS_DIR_ITEM_KEY = 84,
  BTRFS_DIR_INDEX_KEY = 96,
  BTRFS_EXTENT_DATA_KEY = 108,
  BTRFS_EXTENT_CSUM_KEY = 128,
  BTRFS_ROOT_ITEM_KEY = 132,
  BTRFS_ROOT_BACKREF_KEY = 144,
  BTRFS_ROOT_REF_KEY = 156,
  BTRFS_EXTENT_ITEM_KEY = 168,
  BTRFS_METADATA_ITEM_KEY = 169,
  BTRFS_TREE_BLOCK_REF_KEY = 176,
  BTRFS_EXTENT_DATA_REF_KEY = 178,
  BTRFS_SHARED_BLOCK_REF_KEY = 182,
  BTRFS_SHARED_DATA_REF_KEY = 184,
  BTRFS_BLOCK_GROUP_ITEM_KEY = 192,
  BTRFS_DEV_EXTENT_KEY = 204,
  BTRFS_DEV_ITEM_KEY = 216,
  BTRFS_CHUNK_ITEM_KEY = 228,
  BTRFS_UUID_KEY_SUBVOL = 251,           // the uuid tree: a subvolume's uuid -> its root id
  BTRFS_UUID_KEY_RECEIVED_SUBVOL = 252,  // the uuid tree: a received uuid -> root ids
};

// Objectids.
enum : uint64_t {
  BTRFS_ROOT_TREE_OBJECTID = 1,
  BTRFS_EXTENT_TREE_OBJECTID = 2,
  BTRFS_CHUNK_TREE_OBJECTID = 3,
  BTRFS_DEV_TREE_OBJECTID = 4,
  BTRFS_FS_TREE_OBJECTID = 5,
  BTRFS_CSUM_TREE_OBJECTID = 7,
  BTRFS_UUID_TREE_OBJECTID = 9,
  BTRFS_DEV_ITEMS_OBJECTID = 1,
  BTRFS_FIRST_FREE_OBJECTID = 256,
  BTRFS_FIRST_CHUNK_TREE_OBJECTID = 256,
  BTRFS_LAST_FREE_OBJECTID = ~0ull - 256,
  BTRFS_ORPHAN_OBJECTID = ~0ull - 4,       // -5ULL
  BTRFS_EXTENT_CSUM_OBJECTID = ~0ull - 9,   // -10ULL
  BTRFS_DATA_RELOC_TREE_OBJECTID = ~0ull - 8, // -9ULL
  BTRFS_TREE_RELOC_OBJECTID = ~0ull - 7,    // -8ULL
};

// Block group / chunk type and profile flags (btrfs_tree.h).
enum : uint64_t {
  BTRFS_BLOCK_GROUP_DATA = 1ull << 0,
  BTRFS_BLOCK_GROUP_SYSTEM = 1ull << 1,
  BTRFS_BLOCK_GROUP_METADATA = 1ull << 2,
  BTRFS_BLOCK_GROUP_RAID0 = 1ull << 3,
  BTRFS_BLOCK_GROUP_RAID1 = 1ull << 4,
  BTRFS_BLOCK_GROUP_DUP = 1ull << 5,
  BTRFS_BLOCK_GROUP_RAID10 = 1ull << 6,
  BTRFS_BLOCK_GROUP_TYPE_MASK = BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_SYSTEM | BTRFS_BLOCK_GROUP_METADATA,
  BTRFS_BLOCK_GROUP_PROFILE_MASK = BTRFS_BLOCK_GROUP_RAID0 | BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_DUP |
                                   BTRFS_BLOCK_GROUP_RAID10,
};

struct btrfs_key {
  uint64_t objectid = 0;
  uint8_t type = 0;
  uint64_t offset = 0;
  auto operator<=>(const btrfs_key&) const = default;
  static constexpr btrfs_key max() { return {~0ull, 0xff, ~0ull}; }
};

std::string key_type_name(uint8_t type);
std::string to_string(const btrfs_key& k);  // "(256 EXTENT_DATA 0)" like btrfs inspect-internal

}  // namespace fsrace::model
