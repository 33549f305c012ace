// FIEMAP (FS_IOC_FIEMAP) on a file: btrfs_fiemap and extent_fiemap as 6.1.192 has them (inode.c,
// extent_io.c: the file extent items walked on cloned leaves, delalloc looked up only inside holes and
// prealloc extents, sharedness through btrfs_is_data_extent_shared), and fiemap_fill_next_extent
// (fs/ioctl.c). Reports what user space gets back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

// include/uapi/linux/fiemap.h
constexpr uint32_t FIEMAP_FLAG_SYNC = 0x1;  // fm_flags: write back and wait for the file's data first
constexpr uint32_t FIEMAP_EXTENT_LAST = 0x1;
constexpr uint32_t FIEMAP_EXTENT_UNKNOWN = 0x2;
constexpr uint32_t FIEMAP_EXTENT_DELALLOC = 0x4;
constexpr uint32_t FIEMAP_EXTENT_ENCODED = 0x8;
constexpr uint32_t FIEMAP_EXTENT_NOT_ALIGNED = 0x100;
constexpr uint32_t FIEMAP_EXTENT_DATA_INLINE = 0x200;
constexpr uint32_t FIEMAP_EXTENT_UNWRITTEN = 0x800;
constexpr uint32_t FIEMAP_EXTENT_SHARED = 0x2000;
constexpr uint64_t FIEMAP_MAX_OFFSET = ~0ull;
constexpr uint64_t MAX_LFS_FILESIZE = uint64_t(INT64_MAX);  // fiemap_prep clamps the range to it

struct fiemap_extent {
  uint64_t fe_logical = 0, fe_physical = 0, fe_length = 0;
  uint32_t fe_flags = 0;
  bool operator==(const fiemap_extent&) const = default;
};

// Called by extent_fiemap with the inode locked: right after taking i_rwsem and right before releasing
// it (the fiemap_matches_file invariant reads the file's state there). No scheduling point may happen in
// either call.
struct fiemap_observer {
  virtual void locked() = 0;
  virtual void unlocking() = 0;
  virtual ~fiemap_observer() = default;
};

struct fiemap_extent_info {
  uint32_t fi_flags = 0;                // FIEMAP_FLAG_SYNC
  uint32_t fi_extents_max = 0;          // 0: only count (fi_extents_mapped), no sharedness checks
  uint32_t fi_extents_mapped = 0;
  std::vector<fiemap_extent> extents;   // fi_extents_start: what was copied to user space
  fiemap_observer* observer = nullptr;  // not the kernel's: see fiemap_observer
};

// ioctl_fiemap -> fiemap_prep -> btrfs_fiemap -> extent_fiemap. 0, or -EINVAL (len 0), -EFBIG (start
// past MAX_LFS_FILESIZE), -EBADR (fm_flags other than SYNC), or an errno of the paths it runs.
int btrfs_fiemap(btrfs_fs_info& fs_info, btrfs_inode& inode, fiemap_extent_info& fieinfo, uint64_t start,
                 uint64_t len);

// btrfs_find_delalloc_in_range (file.c): the first delalloc subrange of [start, end] (inclusive), merging
// adjacent subranges: dirty ranges (EXTENT_DELALLOC in the io tree) and ranges being flushed (pinned
// extent maps: writeback started, no file extent item yet). No scheduling point; callers hold the range
// locked.
bool btrfs_find_delalloc_in_range(const btrfs_inode& inode, uint64_t start, uint64_t end, uint64_t* delalloc_start,
                                  uint64_t* delalloc_end);

// "0+128K last,shared" style text of one extent (flags by name), for messages and expectations.
std::string fiemap_flags_text(uint32_t flags);
std::string describe(const fiemap_extent& fe);

}  // namespace fsrace::model
