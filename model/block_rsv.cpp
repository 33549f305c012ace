#include "model/block_rsv.hpp"

#include <algorithm>
#include <cerrno>

#include "model/block_group.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/space_info.hpp"

namespace fsrace::model {
namespace {

// btrfs_reserve_metadata_bytes(..., BTRFS_RESERVE_NO_FLUSH) -> __reserve_bytes: no tickets are modelled, so
// the grant is decided at once, in the caller's step (space_info->lock).
int reserve_metadata_bytes_no_flush(btrfs_fs_info& fs_info, btrfs_space_info& sinfo, uint64_t bytes) {
  if (btrfs_space_info_used(sinfo) + bytes > sinfo.total_bytes && !btrfs_can_overcommit(fs_info, sinfo, bytes))
    return -ENOSPC;
  btrfs_space_info_update_bytes_may_use(fs_info, sinfo, int64_t(bytes), "btrfs_reserve_metadata_bytes");
  return 0;
}

}  // namespace

int btrfs_block_rsv_add(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t bytes) {
  // Complete: the reserve and its space info's counters (block reserves are the SpaceInfo object);
  // btrfs_can_overcommit reads the devices' sizes and use (btrfs_free_chunk_space).
  sched::FootprintScope scope(sched::declared()
                                  .writes_to(fp::space_info())
                                  .reads_from(fp::chunk_map())
                                  .touch_kind(sched::ObjectKind::Device, false));
  if (bytes == 0) return 0;
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, rsv.space_info_flags);
  if (int ret = reserve_metadata_bytes_no_flush(fs_info, sinfo, bytes)) return ret;
  rsv.size += bytes;  // btrfs_block_rsv_add_bytes(block_rsv, num_bytes, true)
  rsv.reserved += bytes;
  return 0;
}

void btrfs_block_rsv_release(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t bytes) {
  // Complete: the reserve and its space info's counters (block reserves are the SpaceInfo object);
  // btrfs_can_overcommit reads the devices' sizes and use (btrfs_free_chunk_space).
  sched::FootprintScope scope(sched::declared()
                                  .writes_to(fp::space_info())
                                  .reads_from(fp::chunk_map())
                                  .touch_kind(sched::ObjectKind::Device, false));
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, rsv.space_info_flags);
  // block_rsv_release_bytes: shrink the size, give back the excess of reserved over it.
  rsv.size -= std::min(rsv.size, bytes);
  if (rsv.reserved > rsv.size) {
    const uint64_t excess = rsv.reserved - rsv.size;
    rsv.reserved = rsv.size;
    btrfs_space_info_free_bytes_may_use(fs_info, sinfo, excess, "btrfs_block_rsv_release");
  }
}

int btrfs_use_block_rsv(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t blocksize) {
  // Complete: the reserve and its space info's counters (block reserves are the SpaceInfo object);
  // btrfs_can_overcommit reads the devices' sizes and use (btrfs_free_chunk_space).
  sched::FootprintScope scope(sched::declared()
                                  .writes_to(fp::space_info())
                                  .reads_from(fp::chunk_map())
                                  .touch_kind(sched::ObjectKind::Device, false));
  if (rsv.reserved >= blocksize) {  // btrfs_block_rsv_use_bytes: the size stays until its holder releases it
    rsv.reserved -= blocksize;
    return 0;
  }
  return reserve_metadata_bytes_no_flush(fs_info, btrfs_find_space_info(fs_info, rsv.space_info_flags), blocksize);
}

}  // namespace fsrace::model
