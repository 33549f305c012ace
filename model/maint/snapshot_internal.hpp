// Helpers shared by subvolume and snapshot creation (ioctl.c / root-tree.c / dir-item.c).
#pragma once
#include <cstdint>
#include <string_view>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;
struct btrfs_root;

constexpr size_t BTRFS_NAME_LEN = 255;
constexpr uint8_t BTRFS_FT_DIR = 2;

// btrfs_name_hash: the DIR_ITEM key offset of a name (crc32c seeded with ~1, as the data paths use).
uint64_t btrfs_name_hash(std::string_view name);
// 0, or -EINVAL / -ENAMETOOLONG for a name btrfs_ioctl_snap_create refuses.
int check_subvol_name(std::string_view name);
// A name exists in the top directory of `root` (current tree, no scheduling point).
bool btrfs_dir_name_exists(btrfs_fs_info& fs_info, btrfs_root& root, std::string_view name);
// btrfs_add_root_ref (ROOT_REF under the parent, ROOT_BACKREF under the child) + btrfs_insert_dir_item
// of the subvolume's entry in the parent's top directory, with the directory's i_size update.
int btrfs_link_subvol(btrfs_trans_handle& trans, btrfs_root& parent, uint64_t objectid, std::string_view name);
// The data-path state of a new snapshot (the in-memory inodes and top directory of its files), so
// that file operations can use a writable snapshot like any subvolume.
void snapshot_init_data_state(btrfs_fs_info& fs_info, uint64_t source, uint64_t snapshot);

}  // namespace fsrace::model
