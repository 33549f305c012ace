// The reflink family: clone (FICLONERANGE) and dedupe (FIDEDUPERANGE) of file ranges between files of
// any subvolume, snapshots included (model/data/reflink.hpp).
#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "model/data/inode.hpp"
#include "model/data/reflink.hpp"
#include "model/fs_info.hpp"
#include "sim/binding.hpp"
#include "sim/ops/subvolume_name.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {
namespace {

using model::btrfs_fs_info;
using model::btrfs_inode;

// Opens (igrab) file `file` of subvolume `subvol`: null when either is missing or being evicted.
btrfs_inode* open_file(btrfs_fs_info& fs, const std::string& subvol, const std::string& file) {
  const uint64_t root = subvol_by_name(fs, subvol);
  if (!root) return nullptr;
  const uint64_t ino = model::btrfs_lookup_name(fs, root, file);
  if (!ino) return nullptr;
  btrfs_inode* inode = model::btrfs_iget(fs, root, ino);
  return inode && model::btrfs_igrab(*inode) ? inode : nullptr;
}

int remap(exec_context& ctx, const params& p, bool dedupe) {
  btrfs_fs_info& fs = ctx.fs();
  btrfs_inode* src = open_file(fs, p.text("src_subvolume"), p.text("src"));
  if (!src) return -ENOENT;
  btrfs_inode* dst = open_file(fs, p.text("dst_subvolume"), p.text("dst"));
  if (!dst) {
    model::btrfs_iput(fs, *src);
    return -ENOENT;
  }
  // Inodes stay valid for the execution (the cache never drops them): src may be dst.
  const std::string origin = fmt::format("{} in thread {}", ctx.call().display, ctx.thread().name);
  const int64_t ret = model::btrfs_remap_file_range(fs, *src, p.size("src_offset"), *dst, p.size("dst_offset"),
                                                    p.size("length"), dedupe, origin);
  model::btrfs_iput(fs, *dst);
  model::btrfs_iput(fs, *src);
  return ret < 0 ? int(ret) : 0;
}

template <class Builder>
Builder& remap_params(Builder& b, const char* length_doc) {
  return b.ref("src", "file", "the source file (its name; in src_subvolume)")
      .string("src_subvolume", "subvolume or snapshot holding src (create_subvolume / create_snapshot name); \"\" = "
                               "the top-level subvolume")
      .optional("")
      .size("src_offset", "start of the source range, a multiple of the sector size")
      .optional(0)
      .size_range(0, 1ull << 40)
      .align(4096)
      .ref("dst", "file", "the destination file (may be src: ranges of one file must not overlap)")
      .string("dst_subvolume", "subvolume or snapshot holding dst; \"\" = the top-level subvolume")
      .optional("")
      .size("dst_offset", "start of the destination range, a multiple of the sector size")
      .optional(0)
      .size_range(0, 1ull << 40)
      .align(4096)
      .file_offset()
      .size("length", length_doc)
      .optional(0)
      .size_range(0, 1ull << 32)
      .data_bytes();
}

}  // namespace

void register_reflink_ops(catalogue& cat) {
  op_builder clone = cat.add_op(
      "clone", "reflink",
      "FICLONERANGE (btrfs_remap_file_range): locks both inodes (i_rwsem, i_mmap_lock), flushes the source, waits "
      "for the ordered extents of both ranges, writes back both ranges, locks both io tree ranges, then btrfs_clone "
      "copies the source's file extent items into the destination one per transaction "
      "(btrfs_replace_file_extents: drop what was there, insert the item, btrfs_inc_extent_ref) and grows it to "
      "the end of the clone. The destination shares the source's extents. -EINVAL for unaligned offsets, ranges "
      "of one file that overlap or a source range past its end of file; -EROFS into a read-only snapshot.",
      [](exec_context& ctx, const params& p) { return remap(ctx, p, false); });
  remap_params(clone, "bytes to clone (may end unaligned only at the source's end of file); 0 = to the source's "
                      "end of file");

  op_builder dedupe = cat.add_op(
      "dedupe", "reflink",
      "FIDEDUPERANGE of one destination (btrfs_remap_file_range with REMAP_FILE_DEDUP): as clone, but both ranges "
      "must be inside their files, their bytes are compared through the page cache first "
      "(vfs_dedupe_file_range_compare: unequal ranges return -EBADE, the ioctl's FILE_DEDUPE_RANGE_DIFFERS, with "
      "nothing changed), read-only snapshots may be the destination, and btrfs_extent_same clones in pieces of "
      "16 MiB. -EAGAIN when send is using the destination's root (62d54f3a7fa2). -EBADE and -EAGAIN are allowed.",
      [](exec_context& ctx, const params& p) { return remap(ctx, p, true); });
  remap_params(dedupe, "bytes to deduplicate; 0 does nothing").allow_errors({-EBADE, -EAGAIN});
}

}  // namespace fsrace::sim
