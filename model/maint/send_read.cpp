#include "model/maint/send_read.hpp"

#include <cstring>
#include <vector>

#include "model/bio.hpp"
#include "model/block_device.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {

int send_map_logical(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, std::vector<btrfs_bio_stripe>& stripes) {
  stripes.clear();
  if (len == 0) return 0;
  const uint64_t start = logical / SECTORSIZE * SECTORSIZE;
  const uint64_t end = (logical + len + SECTORSIZE - 1) / SECTORSIZE * SECTORSIZE;
  return btrfs_map_block(fs_info, map_op::read, start, end - start, 0, stripes);
}

int send_read_mapped(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, const std::vector<btrfs_bio_stripe>& stripes,
                     uint8_t* out) {
  if (len == 0) return 0;
  const uint64_t start = logical / SECTORSIZE * SECTORSIZE;
  const uint64_t end = (logical + len + SECTORSIZE - 1) / SECTORSIZE * SECTORSIZE;
  // A whole-sector range on one stripe is read straight into `out` (it holds len bytes; btrfs_dev_read
  // fails before it writes anything, so `out` is left as it was on an error, as through the buffer).
  const bool aligned = start == logical && end - start == len && stripes.size() == 1 && stripes[0].offset == 0 &&
                       stripes[0].length == len;
  std::vector<uint8_t> buf(aligned ? 0 : end - start);
  uint8_t* to = aligned ? out : buf.data();
  for (const auto& s : stripes) {  // one piece per stripe the range crosses (RAID10)
    const int ret = btrfs_dev_read(fs_info, s, s.length, to + s.offset);
    if (ret) return ret;
  }
  if (!aligned) std::memcpy(out, buf.data() + (logical - start), len);
  return 0;
}

int send_read_logical(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, uint8_t* out) {
  if (len == 0) return 0;
  std::vector<btrfs_bio_stripe> stripes;
  const int ret = send_map_logical(fs_info, logical, len, stripes);
  if (ret) return ret;
  return send_read_mapped(fs_info, logical, len, stripes, out);
}

}  // namespace fsrace::model
