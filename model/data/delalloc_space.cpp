#include "model/data/delalloc_space.hpp"

#include <optional>

#include "model/block_group.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/space_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

uint64_t sector_span(const btrfs_fs_info& fs_info, uint64_t start, uint64_t len) {
  const uint64_t s = fs_info.sectorsize;
  return (start + len + s - 1) / s * s - start / s * s;
}

}  // namespace

int btrfs_check_data_free_space(btrfs_fs_info& fs_info, uint64_t start, uint64_t len, bool noflush) {
  const uint64_t bytes = sector_span(fs_info, start, len);
  // btrfs_reserve_data_bytes: when the bytes fit (its own first check, in this step) or it may not
  // flush, only the data space_info's counters; its flush path (chunk allocation, a commit) runs
  // undeclared.
  sched::FootprintScope scope(sched::touching(fp::space_info()));
  btrfs_space_info& sinfo = btrfs_data_sinfo(fs_info);
  std::optional<sched::FootprintScope> flush;
  if (!noflush && btrfs_space_info_used(sinfo) + bytes > sinfo.total_bytes) flush.emplace(sched::Footprint{});
  return btrfs_reserve_data_bytes(fs_info, bytes, noflush ? btrfs_reserve_flush::no_flush : btrfs_reserve_flush::flush_data);
}

int btrfs_alloc_data_chunk_ondemand(btrfs_fs_info& fs_info, uint64_t bytes) {
  return btrfs_reserve_data_bytes(fs_info, sector_span(fs_info, 0, bytes), btrfs_reserve_flush::flush_data);
}

void btrfs_free_reserved_data_space(btrfs_fs_info& fs_info, uint64_t start, uint64_t len) {
  // The data space_info's bytes_may_use (an underflow is a WARN finding).
  sched::FootprintScope scope(sched::touching(fp::space_info()));
  btrfs_free_reserved_data_space_noquota(fs_info, sector_span(fs_info, start, len));
}

void btrfs_free_reserved_data_space_noquota(btrfs_fs_info& fs_info, uint64_t len) {
  FSRACE_MODEL_CHECK(len % fs_info.sectorsize == 0, "btrfs_free_reserved_data_space_noquota: {} not sector aligned", len);
  btrfs_space_info_free_bytes_may_use(fs_info, btrfs_data_sinfo(fs_info), len, "btrfs_free_reserved_data_space_noquota");
}

}  // namespace fsrace::model
