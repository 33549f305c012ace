// open_ctree for the import (issue 16, part 3): the filesystem that device images hold, mounted as the
// model's btrfs_fs_info. What the kernel's mount reads, the model builds from: the devices and chunk maps
// from the chunk tree, the roots from the root tree, each block group from its item with its free space
// from the extent tree's extents (read_one_block_group, with exclude_super_stripes and an empty group
// put on unused_bgs), the allocation profiles from the groups (set_avail_alloc_bits), and each
// subvolume's top directory and files (btrfs_lookup / btrfs_iget). The model's devices then hold every
// tree block (each mirror) and every sector of every data extent as the images had them, and the data
// oracle expects each file's bytes as read, durable. Nothing here runs while exploring.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "model/fs_info.hpp"
#include "model/ondisk/identity.hpp"
#include "model/ondisk/image_reader.hpp"

namespace fsrace::model::ondisk {

// What an export of the imported filesystem writes back unchanged: its identity, and the bytes each
// tree block was read from, with the model's content hash of the block they parsed to (a block whose
// content still hashes the same is written as those bytes, keeping what the model does not keep:
// inode times, root item uuids and times, reserved fields).
struct imported_image {
  fs_identity identity;
  struct block {
    uint32_t content_csum = 0;
    std::vector<uint8_t> bytes;
  };
  std::map<uint64_t, block> blocks;  // by bytenr
};

// Throws malformed or unsupported (image_reader.hpp) naming the image and what in it.
std::unique_ptr<btrfs_fs_info> btrfs_open_ctree(const std::vector<device_image_source>& devices);

}  // namespace fsrace::model::ondisk
