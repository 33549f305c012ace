// Item bodies read back from their on-disk layout (the reverse of item_bytes): what an image made by the
// export or by btrfs-progs holds, as the model's item values. A layout the model has no value for (inline
// file data, xattrs, several names in one item, shared back references, ...) is `unsupported`, naming it;
// bytes that contradict the format are `malformed`.
#pragma once
#include <span>

#include "model/items.hpp"
#include "model/key.hpp"
#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/le_reader.hpp"

namespace fsrace::model::ondisk {

btrfs_key read_disk_key(const le_reader& r, size_t off);
uuid read_uuid(const le_reader& r, size_t off);
// The crc32c of a tree block or super block (over all but its first 32 bytes) against its csum field.
void check_csum(const le_reader& r);

// The value of the item with key `key` whose body is `r` (all of it).
item_value read_item_body(const btrfs_key& key, const le_reader& r);

// struct btrfs_dev_item and struct btrfs_chunk at `off` (as embedded in the super block too).
btrfs_dev_item read_dev_item(const le_reader& r, size_t off);
btrfs_chunk read_chunk(const le_reader& r, size_t off);

}  // namespace fsrace::model::ondisk
