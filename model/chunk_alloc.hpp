// Chunk allocation (block-group.c): btrfs_chunk_alloc and do_chunk_alloc, phase 1 of the two phases
// (phase 2 is btrfs_create_pending_block_groups, at the end of the handle or in the commit).
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_trans_handle;

// enum btrfs_chunk_alloc_enum. The model's callers force (no should_alloc_chunk thresholds are modelled).
enum class chunk_alloc_force { force, force_for_extent };

// btrfs_chunk_alloc: one allocator per space info at a time (space_info->chunk_alloc, the others wait for it
// and look again), -ENOSPC at once for a full space info, for a handle already allocating, and (2bb2e00ed978)
// for a SYSTEM chunk; then do_chunk_alloc under chunk_mutex. Returns 1 when a chunk was allocated, else a
// negative errno (-ENOSPC marks the space info full).
int btrfs_chunk_alloc(btrfs_trans_handle& trans, uint64_t flags, chunk_alloc_force force);
// btrfs_force_chunk_alloc: btrfs_chunk_alloc(CHUNK_ALLOC_FORCE) with the type's allocation profile.
int btrfs_force_chunk_alloc(btrfs_trans_handle& trans, uint64_t type);
// btrfs_create_chunk (volumes.c): device extents, mapping and block group of a new chunk, in memory; the
// block group goes on new_bgs for phase 2. Returns its logical start or a negative errno (-ENOSPC).
int64_t btrfs_create_chunk(btrfs_trans_handle& trans, uint64_t type);

}  // namespace fsrace::model
