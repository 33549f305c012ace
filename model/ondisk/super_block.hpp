// struct btrfs_super_block (4096 bytes at 64 KiB, mirrored at 64 MiB and 256 GiB where the device
// reaches): the committed roots, the device's own dev item and the system chunks (sys_chunk_array).
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/items.hpp"
#include "model/ondisk/identity.hpp"

namespace fsrace::model::ondisk {

constexpr uint64_t BTRFS_SUPER_INFO_OFFSET = 64 * 1024;
constexpr uint32_t BTRFS_SUPER_INFO_SIZE = 4096;
constexpr int BTRFS_SUPER_MIRROR_MAX = 3;
constexpr uint32_t BTRFS_SYSTEM_CHUNK_ARRAY_SIZE = 2048;
constexpr uint64_t BTRFS_MAGIC = 0x4D5F53665248425Full;  // "_BHRfS_M"
// Incompat features of the images: what mkfs.btrfs of the era sets by default.
constexpr uint64_t BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF = 1ull << 0;
constexpr uint64_t BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF = 1ull << 6;
constexpr uint64_t BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA = 1ull << 8;
constexpr uint64_t BTRFS_FEATURE_INCOMPAT_NO_HOLES = 1ull << 9;

// btrfs_sb_offset: where super block copy `mirror` (0-based) lives.
uint64_t btrfs_sb_offset(int mirror);

struct super_fields {
  uint64_t generation = 0, root = 0, chunk_root = 0, chunk_root_generation = 0;
  uint8_t root_level = 0, chunk_root_level = 0;
  uint64_t total_bytes = 0, bytes_used = 0, num_devices = 0;
  uint32_t sectorsize = 4096, nodesize = 16384;
  btrfs_dev_item dev_item;                    // this device's item
  std::map<uint64_t, btrfs_chunk> sys_chunks;  // logical start -> the system chunk's item
};

// The super block copy for `mirror` (its bytenr field differs per copy).
std::vector<uint8_t> super_block_bytes(const super_fields& f, int mirror, const fs_identity& id);

// A super block read back: the fields the model uses and what identifies the filesystem and the copy.
struct parsed_super {
  super_fields fields;
  uuid fsid{}, metadata_uuid{}, dev_uuid{}, dev_fsid{};
  uint64_t bytenr = 0;  // where the copy says it lives
  uint64_t compat_ro_flags = 0, incompat_flags = 0, log_root = 0;
  uint64_t flags = 0;  // BTRFS_SUPER_FLAG_*
  uint16_t csum_type = 0;
};

// Super block flags (btrfs_tree.h) the import looks at.
constexpr uint64_t BTRFS_SUPER_FLAG_SEEDING = 1ull << 32;
constexpr uint64_t BTRFS_SUPER_FLAG_METADUMP = 1ull << 33;     // btrfs-image: metadata only
constexpr uint64_t BTRFS_SUPER_FLAG_METADUMP_V2 = 1ull << 34;  // btrfs-image -r of a dump
constexpr uint64_t BTRFS_SUPER_FLAG_CHANGING_FSID = 1ull << 35;
constexpr uint64_t BTRFS_SUPER_FLAG_CHANGING_FSID_V2 = 1ull << 36;
// The super block in `bytes` (BTRFS_SUPER_INFO_SIZE long): magic and checksum checked, the
// sys_chunk_array walked within its size. `what` names it in errors (malformed).
parsed_super parse_super_block(std::span<const uint8_t> bytes, const std::string& what);

}  // namespace fsrace::model::ondisk
