// Data checksums: crc32c (Castagnoli), the algorithm btrfs uses by default (btrfs_csum_data with
// ~0 seed, final inversion as btrfs_csum_final). One 32-bit checksum per sector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace fsrace::model {

uint32_t crc32c(uint32_t crc, std::span<const uint8_t> data);
// The checksum btrfs stores for one sector of data.
inline uint32_t btrfs_csum_sector(std::span<const uint8_t> sector) { return ~crc32c(~0u, sector); }

}  // namespace fsrace::model
