// Data checksums: crc32c (Castagnoli), the algorithm btrfs uses by default (btrfs_csum_data with
// ~0 seed, final inversion as btrfs_csum_final). One 32-bit checksum per sector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace fsrace::model {

// Uses the SSE4.2 crc32 instruction when the CPU has it, else crc32c_portable (same results).
uint32_t crc32c(uint32_t crc, std::span<const uint8_t> data);
uint32_t crc32c_portable(uint32_t crc, std::span<const uint8_t> data);  // slicing-by-8 tables
// The checksum btrfs stores for one sector of data.
inline uint32_t btrfs_csum_sector(std::span<const uint8_t> sector) { return ~crc32c(~0u, sector); }

}  // namespace fsrace::model
