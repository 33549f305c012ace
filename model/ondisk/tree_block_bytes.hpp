// A tree block in its on-disk layout: struct btrfs_header (crc32c checksum, fsid, chunk tree uuid,
// WRITTEN flag and mixed backref revision), then a leaf's btrfs_item array from the front with the
// item bodies packed from the end, or a node's btrfs_key_ptr array.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/ondisk/identity.hpp"
#include "model/tree_block.hpp"

namespace fsrace::model::ondisk {

constexpr uint64_t BTRFS_HEADER_FLAG_WRITTEN = 1ull << 0;
constexpr uint64_t BTRFS_MIXED_BACKREF_REV = 1;
constexpr uint64_t BTRFS_BACKREF_REV_SHIFT = 56;

// crc32c (Castagnoli) as btrfs stores it: seed ~0, inverted, little-endian in csum[0..3].
uint32_t btrfs_crc32c(std::span<const uint8_t> bytes);

// `nodesize` bytes; throws unsupported for what the export cannot write, std::logic_error for a block
// that does not fit (a model bug).
std::vector<uint8_t> tree_block_bytes(const tree_block& block, uint32_t nodesize, const fs_identity& id);

// The reverse: the tree block in `bytes` (nodesize long), its checksum, fsid and chunk tree uuid checked
// against `id` and its layout against the block's bounds; `what` names it in errors (malformed: the bytes
// contradict the format; unsupported: an item the model has no value for). header.csum is set to the
// model's content hash, as the model's writeback sets it.
tree_block parse_tree_block(std::span<const uint8_t> bytes, uint32_t nodesize, const fs_identity& id, const std::string& what);

}  // namespace fsrace::model::ondisk
