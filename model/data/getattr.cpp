#include "model/data/getattr.hpp"

#include "model/data/btrfs_inode.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {

uint64_t btrfs_getattr_blocks(const btrfs_fs_info& fs_info, const btrfs_inode& inode) {
  const uint64_t blocksize = fs_info.sectorsize;  // i_sb->s_blocksize
  auto align = [blocksize](uint64_t v) { return (v + blocksize - 1) / blocksize * blocksize; };
  const uint64_t new_delalloc_bytes = 0;  // EXTENT_DELALLOC_NEW is not modelled
  return (align(inode.nbytes) + align(new_delalloc_bytes)) >> 9;
}

}  // namespace fsrace::model
