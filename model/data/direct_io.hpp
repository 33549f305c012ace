// Shared by the direct IO write (direct_io.cpp) and read (direct_read.cpp) paths (not for other modules).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// lock_extent_direct (6.1 inode.c): [start, end) of the io tree locked with no ordered extent in it (and,
// writing, no cached page), or an error with it unlocked. An ordered extent found is started and waited
// for with the range unlocked, then the lock is taken again; cached pages give a write -ENOTBLK (direct IO
// gives the range to buffered IO). A read waits only for a direct IO ordered extent: a buffered one gives
// -ENOTBLK (ade770294df2; off, the read waits for any ordered extent, as 4.4).
int lock_extent_direct(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, bool writing);

// O_DIRECT read (6.1 file.c btrfs_direct_read, inode.c btrfs_dio_iomap_begin / btrfs_submit_direct /
// btrfs_end_dio_bio, iomap's __iomap_dio_rw) of [start, start + out.size()), page aligned, inside the
// file's pages. Returns 0 with `*done` = out.size(), or with `*done` short of it when a mapping gave
// -ENOTBLK (the caller reads the rest through the page cache), or -EIO.
int btrfs_dio_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, std::span<uint8_t> out, uint64_t* done);

}  // namespace fsrace::model
