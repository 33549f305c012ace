#pragma once
// Bytes of model state a filesystem holds, counted from the model's own structures (never from the
// allocator), so that the figure is the same on every machine, build and --jobs: 4 KiB per device
// sector written, nodesize per tree block image in the buffer cache, 4 KiB per page of a file's page
// cache and of the btree inode, 4 KiB per sector the data oracle remembers. Sharing between a clone
// and its frozen base is ignored: a shared entry counts once, an entry the execution copied twice.
#include <cstdint>

namespace fsrace::model {
struct btrfs_fs_info;
}

namespace fsrace::sim {

/// Device sectors and tree block images: the copy-on-write stores, counted by their private delta (the
/// whole store before the first freeze).
uint64_t cow_store_delta_bytes(const model::btrfs_fs_info& fs);
/// Page caches (file and btree inode) and the data oracle, counted whole.
uint64_t cache_bytes(const model::btrfs_fs_info& fs);

}  // namespace fsrace::sim
