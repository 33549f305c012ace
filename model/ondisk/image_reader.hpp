// A filesystem read back from its device images, the second part of the import (issue 16): the newest
// super blocks, the chunk tree found through the sys_chunk_array, and every tree the root tree names,
// block by block, each checked against the key pointer that leads to it. What the model cannot take is
// refused here, named (unsupported): features it does not model (a free space tree, a log to replay,
// quotas, ...), and items it has no value for. The uuid tree's items are kept as bytes (opaque items):
// the model never reads or changes them. Nothing here runs while exploring.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/ondisk/identity.hpp"
#include "model/ondisk/super_block.hpp"
#include "model/tree_block.hpp"

namespace fsrace::model::ondisk {

// The incompat features the model's trees are (what mkfs.btrfs sets by default); compat_ro must be 0.
constexpr uint64_t kSupportedIncompat = BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF | BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF |
                                        BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA | BTRFS_FEATURE_INCOMPAT_NO_HOLES;

// One device image: `read` returns `n` bytes at `physical` (zeroes where the file has none).
struct device_image_source {
  std::string name;  // the file, for messages
  uint64_t size = 0;
  std::function<std::vector<uint8_t>(uint64_t physical, size_t n)> read;
};

struct image_tree {
  uint64_t root_id = 0, bytenr = 0, generation = 0;
  uint8_t level = 0;
};

struct image_contents {
  parsed_super super;                             // the first device's primary copy (all agree)
  fs_identity identity;                           // fsid, chunk tree uuid, dev and subvolume uuids of the images
  std::map<uint64_t, size_t> source_of_devid;     // devid -> index of its image
  std::map<uint64_t, btrfs_chunk> chunks;         // the chunk tree's chunk items, by logical start
  std::map<uint64_t, btrfs_dev_item> dev_items;   // the chunk tree's dev items, by devid
  std::map<uint64_t, image_tree> trees;           // root, chunk and every ROOT_ITEM's tree, by root id
  std::map<uint64_t, tree_block_ptr> blocks;      // every block of every tree
  std::map<uint64_t, std::vector<uint8_t>> block_bytes;  // each block's bytes as read (the good copy)
};

// Throws malformed (bytes that contradict the format, images that do not make one filesystem) or
// unsupported (what the model does not model), each naming the image, block and byte where it can.
image_contents read_image(const std::vector<device_image_source>& devices);

}  // namespace fsrace::model::ondisk
