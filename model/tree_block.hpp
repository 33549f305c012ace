// The content of one tree block (what an extent buffer holds): a header and either leaf items or
// node key pointers. Blocks are immutable once shared; copy-on-write makes a new block.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/cow_vector.hpp"
#include "model/items.hpp"
#include "model/key.hpp"

namespace fsrace::model {

constexpr uint32_t BTRFS_HEADER_SIZE = 101;  // sizeof(struct btrfs_header)
constexpr uint32_t BTRFS_ITEM_SIZE = 25;     // sizeof(struct btrfs_item)
constexpr uint32_t BTRFS_KEY_PTR_SIZE = 33;  // sizeof(struct btrfs_key_ptr)

struct btrfs_header {
  uint64_t bytenr = 0, generation = 0, owner = 0;
  uint8_t level = 0;
  uint32_t csum = 0;  // crc over the logical content, set when written, checked by fsck and on read
};
struct btrfs_key_ptr {
  btrfs_key key;
  uint64_t blockptr = 0, generation = 0;
};
struct btrfs_item {
  btrfs_key key;
  item_value value;
  bool operator==(const btrfs_item&) const = default;
};

struct tree_block {
  btrfs_header header;
  cow_vector<btrfs_item> items;    // leaf (level 0): shared by copies of the block until one changes them
  std::vector<btrfs_key_ptr> ptrs;  // node (level > 0)

  bool is_leaf() const { return header.level == 0; }
  uint32_t nritems() const { return uint32_t(is_leaf() ? items.size() : ptrs.size()); }
  const btrfs_key& key_at(uint32_t slot) const { return is_leaf() ? items[slot].key : ptrs[slot].key; }
  uint32_t leaf_used_bytes() const;
  uint32_t content_csum() const;  // deterministic hash of everything but header.csum
};
using tree_block_ptr = std::shared_ptr<const tree_block>;

inline uint32_t leaf_data_size(uint32_t nodesize) { return nodesize - BTRFS_HEADER_SIZE; }
inline uint32_t node_max_ptrs(uint32_t nodesize) { return (nodesize - BTRFS_HEADER_SIZE) / BTRFS_KEY_PTR_SIZE; }

}  // namespace fsrace::model
