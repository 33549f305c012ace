// Item bodies in their on-disk byte layout (include/uapi/linux/btrfs_tree.h of the declared kernel).
// The model's item sizes (model/items.hpp) are the on-disk sizes, so the bytes fill exactly the space
// a leaf gives the item.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>

#include "model/items.hpp"
#include "model/key.hpp"
#include "model/ondisk/identity.hpp"
#include "model/ondisk/le_bytes.hpp"

namespace fsrace::model::ondisk {

// A state the export cannot write faithfully yet (what() says which and why): bad input, not a bug.
class unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr uint32_t BTRFS_DISK_KEY_SIZE = 17;
void write_disk_key(le_bytes& b, size_t off, const btrfs_key& k);

// Writes the body of the item with key `key` into `out` (item_size(v) bytes).
void write_item_body(const btrfs_key& key, const item_value& v, std::span<uint8_t> out, const fs_identity& id);

// struct btrfs_dev_item (also embedded in the super block).
void write_dev_item(le_bytes& b, size_t off, const btrfs_dev_item& d, uint32_t sectorsize, const fs_identity& id);
// struct btrfs_chunk with its stripes (also in the super block's sys_chunk_array).
void write_chunk(le_bytes& b, size_t off, const btrfs_chunk& c, uint32_t sectorsize, const fs_identity& id);

}  // namespace fsrace::model::ondisk
