#include "model/key.hpp"

#include <fmt/format.h>

namespace fsrace::model {

std::string key_type_name(uint8_t type) {
  switch (type) {
    case BTRFS_INODE_ITEM_KEY: return "INODE_ITEM";
    case BTRFS_INODE_REF_KEY: return "INODE_REF";
    case BTRFS_DIR_ITEM_KEY: return "DIR_ITEM";
    case BTRFS_DIR_INDEX_KEY: return "DIR_INDEX";
    case BTRFS_EXTENT_DATA_KEY: return "EXTENT_DATA";
    case BTRFS_EXTENT_CSUM_KEY: return "EXTENT_CSUM";
    case BTRFS_ROOT_ITEM_KEY: return "ROOT_ITEM";
    case BTRFS_ROOT_BACKREF_KEY: return "ROOT_BACKREF";
    case BTRFS_ROOT_REF_KEY: return "ROOT_REF";
    case BTRFS_EXTENT_ITEM_KEY: return "EXTENT_ITEM";
    case BTRFS_METADATA_ITEM_KEY: return "METADATA_ITEM";
    case BTRFS_TREE_BLOCK_REF_KEY: return "TREE_BLOCK_REF";
    case BTRFS_EXTENT_DATA_REF_KEY: return "EXTENT_DATA_REF";
    case BTRFS_SHARED_BLOCK_REF_KEY: return "SHARED_BLOCK_REF";
    case BTRFS_SHARED_DATA_REF_KEY: return "SHARED_DATA_REF";
    case BTRFS_BLOCK_GROUP_ITEM_KEY: return "BLOCK_GROUP_ITEM";
    case BTRFS_DEV_EXTENT_KEY: return "DEV_EXTENT";
    case BTRFS_DEV_ITEM_KEY: return "DEV_ITEM";
    case BTRFS_CHUNK_ITEM_KEY: return "CHUNK_ITEM";
    default: return fmt::format("UNKNOWN.{}", type);
  }
}

std::string to_string(const btrfs_key& k) {
  return fmt::format("({} {} {})", k.objectid, key_type_name(k.type), k.offset);
}

}  // namespace fsrace::model
