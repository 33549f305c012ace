// The data checksum of a device sector's bytes, kept per thread (identity_memo.hpp) for the sectors seen recently. A
// sector's data (block_device's `sector::data`) is an immutable vector shared by every copy of the
// device: a write makes a new one. The memo keeps each vector it has checksummed alive, so its address
// cannot name another vector while the entry exists, and the entry's checksum is that of the bytes it
// still holds: exactly btrfs_csum_sector of the same bytes. Looked up only, never iterated; cleared
// whole when it grows past its bound.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace fsrace::model {

uint32_t sector_data_csum(const std::shared_ptr<const std::vector<uint8_t>>& data);

}  // namespace fsrace::model
