#pragma once
// A deterministic fingerprint of the model's state at the end of an execution, for comparing the
// outcomes of two searches (tests/sim/dpor_equivalence_test.cpp: DFS and DPOR must reach the same set).
// It reads the model's structs only: every tree's items (walked from its current root in the buffer
// cache), roots, block groups with their counters, the transaction, pinned extents, ordered extents,
// the data path's counters, the extent buffer cache (btree pages, cached buffers) and the kernel log as a
// multiset. Device sectors are not hashed (the
// data_matches_oracle invariant judges the data). Equal states give equal fingerprints; two executions
// that differ only in the order of truly independent steps end in equal states.
#include <cstdint>

namespace fsrace::model {
struct btrfs_fs_info;
}

namespace fsrace::sim {

/// 0 for a world without a filesystem.
uint64_t state_fingerprint(const model::btrfs_fs_info* fs);

}  // namespace fsrace::sim
