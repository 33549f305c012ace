// File data in send.c: changed_extent, process_extent, find_extent_clone (the backref check),
// send_write_or_clone / send_write with fill_read_buf, holes and the final truncate.
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/backref.hpp"
#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "model/maint/send_read.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t BTRFS_SEND_READ_SIZE = 48 * 1024;
constexpr uint64_t S_IFMT = 0170000, S_IFREG = 0100000, S_IFLNK = 0120000;

bool need_send_hole(const send_ctx& sctx) {
  return sctx.parent_root && !sctx.cur_inode_new && !sctx.cur_inode_new_gen && !sctx.cur_inode_deleted &&
         (sctx.cur_inode_mode & S_IFMT) == S_IFREG;
}

const btrfs_file_extent_item* as_file_extent(send_ctx& sctx, const btrfs_item& item) {
  const auto* fe = std::get_if<btrfs_file_extent_item>(&item.value);
  if (!fe)
    sctx.fs_info.log(fmt::format("BTRFS critical: send: item {} of root {} is not a file extent", to_string(item.key),
                                 sctx.send_root.objectid));
  return fe;
}

// fill_read_buf: the file's bytes [offset, offset + len) as the send root's inode reads them
// (btrfs_iget + readpage: the file extent items of the current tree, data from disk through
// btrfs_map_block; holes and prealloc read as zeros).
int fill_read_buf(send_ctx& sctx, uint64_t ino, uint64_t offset, uint64_t len, std::vector<uint8_t>& out) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  sched::point(sched::L("fill_read_buf(ino {} offset {})", ino, offset));
  if (btrfs_lookup_item(fs_info, sctx.send_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, nullptr) != 0) return -ENOENT;
  out.assign(len, 0);
  const uint64_t end = offset + len;
  int err = 0;
  btrfs_for_each_item(fs_info, sctx.send_root, {ino, BTRFS_EXTENT_DATA_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != ino || it.key.type != BTRFS_EXTENT_DATA_KEY || it.key.offset >= end) return false;
    const auto& fe = std::get<btrfs_file_extent_item>(it.value);
    const uint64_t from = std::max(offset, it.key.offset), to = std::min(end, it.key.offset + fe.num_bytes);
    if (from >= to || fe.type != BTRFS_FILE_EXTENT_REG || fe.disk_bytenr == 0) return true;
    const uint64_t logical = fe.disk_bytenr + fe.offset + (from - it.key.offset);
    const int ret = send_read_logical(fs_info, logical, to - from, out.data() + (from - offset));
    if (ret) {
      fs_info.log(fmt::format("BTRFS error: send: read of ino {} offset {} (logical {}) failed: {}", ino, from, logical, ret));
      err = -EIO;
      return false;
    }
    return true;
  });
  return err;
}

int send_write(send_ctx& sctx, uint64_t offset, uint64_t len) {
  std::vector<uint8_t> data;
  if (int ret = fill_read_buf(sctx, sctx.cur_ino, offset, len, data)) return ret;
  send_command c;
  c.cmd = send_cmd::write;
  if (int ret = get_cur_path(sctx, sctx.cur_ino, sctx.cur_inode_gen, &c.path)) return ret;
  c.offset = offset;
  c.data = std::move(data);
  emit(sctx, std::move(c));
  return 0;
}

// extent_from_logical: the first item at or after (bytenr, EXTENT_ITEM, 0) in the extent tree's
// commit root. 0 found, 1 none, <0 error. The caller holds commit_root_sem.
int lookup_extent_item(btrfs_fs_info& fs_info, uint64_t bytenr, btrfs_item* out) {
  btrfs_path path(true, true);
  int ret = btrfs_search_slot(fs_info, fs_info.extent_root(), {bytenr, BTRFS_EXTENT_ITEM_KEY, 0}, path);
  if (ret < 0) return ret;
  const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
  if (!leaf || path.slots[0] >= int(leaf->nritems())) {
    ret = btrfs_next_leaf(fs_info, fs_info.extent_root(), path);
    if (ret) return ret;
    leaf = btrfs_path_block(fs_info, path, 0);
  }
  *out = leaf->items[path.slots[0]];
  return 0;
}

// find_extent_clone: looks the data extent up in the extent tree's commit root and walks its back
// references (iterate_extent_inodes); the send root itself must be among them. A file extent item
// read from a block that now belongs to another tree fails here. Returns -ENOENT (no clone source:
// the data is sent with WRITE commands) or an error.
int find_extent_clone(send_ctx& sctx, const btrfs_item& item, const btrfs_file_extent_item& fe) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  if (fe.type == BTRFS_FILE_EXTENT_INLINE || fe.disk_bytenr == 0) return -ENOENT;
  const uint64_t disk_byte = fe.disk_bytenr;
  bool found = false, found_itself = false, tree_block = false;
  btrfs_key found_key;
  btrfs_item extent;
  // extent_from_logical and iterate_extent_inodes in one lookup: the extent item gives the flags and
  // the back references. iterate_extent_inodes (search_commit_root) holds commit_root_sem for its walk
  // of the extent tree's commit root; the model holds it for the whole lookup (a coarsening: the
  // kernel's extent_from_logical search runs without it and reads the extent tree, which every commit
  // changes, without any protection; that window is not this race and is left out).
  fs_info.commit_root_sem.down_read();
  int ret = lookup_extent_item(fs_info, disk_byte, &extent);
  // Full back references (a snapshot's leaf its source COWed away) resolve through the parent leaf.
  std::vector<data_ref_owner> owners;
  if (ret == 0 && extent.key.objectid == disk_byte && extent.key.type == BTRFS_EXTENT_ITEM_KEY)
    if (const auto* ei = std::get_if<btrfs_extent_item>(&extent.value))
      owners = btrfs_data_ref_owners(fs_info, disk_byte, *ei, true);
  fs_info.commit_root_sem.up_read();
  if (ret == 0 && extent.key.objectid == disk_byte && extent.key.type == BTRFS_EXTENT_ITEM_KEY) {
    if (const auto* ei = std::get_if<btrfs_extent_item>(&extent.value)) {
      found = true;
      found_key = extent.key;
      tree_block = ei->flags & BTRFS_EXTENT_FLAG_TREE_BLOCK;
      for (const data_ref_owner& ref : owners) {
        const bool ours =
            std::find(sctx.backref_roots.begin(), sctx.backref_roots.end(), ref.root) != sctx.backref_roots.end();
        if (ours && ref.ino == item.key.objectid && ref.offset == item.key.offset - fe.offset) found_itself = true;
      }
    }
  }
  if (ret == 1) ret = 0;
  if (ret) return ret;
  if (!found) return -ENOENT;  // extent_from_logical found nothing
  if (tree_block) return -EIO;
  if (sctx.cloned_buffers) {
    // d96b34248c2f: a relocation committed since the leaf was read: its disk_bytenr may be the
    // extent's location before relocation; no clone source, the data is sent with WRITE commands.
    fs_info.commit_root_sem.down_read();
    const bool relocated = fs_info.last_reloc_trans > sctx.last_reloc_trans;
    fs_info.commit_root_sem.up_read();
    if (relocated) return -ENOENT;
  }
  if (!found_itself) {
    fs_info.log(fmt::format("BTRFS error: did not find backref in send_root. inode={}, offset={}, disk_byte={} found "
                            "extent={}",
                            item.key.objectid, item.key.offset, disk_byte, found_key.objectid));
    return -EIO;
  }
  // Clone sources are looked up but the model always sends the data (WRITE), as send does when no
  // clone source qualifies.
  return -ENOENT;
}

int send_write_or_clone(send_ctx& sctx, const btrfs_item& item, const btrfs_file_extent_item& fe) {
  const uint64_t offset = item.key.offset;
  const uint64_t end = std::min(offset + fe.num_bytes, sctx.cur_inode_size);
  for (uint64_t pos = offset; pos < end;) {  // bounded: pos advances by at least one byte
    const uint64_t l = std::min(end - pos, BTRFS_SEND_READ_SIZE);
    if (int ret = send_write(sctx, pos, l)) return ret;
    pos += l;
  }
  return 0;
}

// get_last_extent: the end of the last extent of the current inode starting at or before `offset`.
int get_last_extent(send_ctx& sctx, uint64_t offset) {
  const uint64_t ino = sctx.cur_ino;
  uint64_t last = 0;
  int ret = send_iterate_items(sctx, sctx.send_root, {ino, BTRFS_EXTENT_DATA_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != ino || it.key.type != BTRFS_EXTENT_DATA_KEY || it.key.offset > offset) return false;
    if (const auto* fe = std::get_if<btrfs_file_extent_item>(&it.value)) last = it.key.offset + fe->num_bytes;
    return true;
  });
  if (ret) return ret;
  sctx.cur_inode_last_extent = last;
  return 0;
}

// send_hole: zeros from the end of the last extent to `end` (within i_size).
int send_hole(send_ctx& sctx, uint64_t end) {
  end = std::min(end, sctx.cur_inode_size);
  std::string path;
  if (int ret = get_cur_path(sctx, sctx.cur_ino, sctx.cur_inode_gen, &path)) return ret;
  for (uint64_t pos = sctx.cur_inode_last_extent; pos < end;) {
    const uint64_t l = std::min(end - pos, BTRFS_SEND_READ_SIZE);
    send_command c;
    c.cmd = send_cmd::write;
    c.path = path;
    c.offset = pos;
    c.data.assign(l, 0);
    emit(sctx, std::move(c));
    pos += l;
  }
  return 0;
}

int process_extent(send_ctx& sctx, const btrfs_item& item) {
  if ((sctx.cur_inode_mode & S_IFMT) == S_IFLNK) return 0;
  const btrfs_file_extent_item* fe = as_file_extent(sctx, item);
  if (!fe) return -EUCLEAN;
  if (!sctx.parent_root || sctx.cur_inode_new) {
    // A new file on the receiver reads holes and prealloc extents as zeros already.
    if (fe->type == BTRFS_FILE_EXTENT_PREALLOC) return 0;
    if (fe->type == BTRFS_FILE_EXTENT_REG && fe->disk_bytenr == 0) return 0;
  }
  int ret = find_extent_clone(sctx, item, *fe);
  if (ret != -ENOENT && ret < 0) return ret;
  if ((ret = send_write_or_clone(sctx, item, *fe))) return ret;
  return maybe_send_hole(sctx, item);
}

}  // namespace

int changed_extent(send_ctx& sctx, btrfs_compare_tree_result result) {
  // An extent item can change without its inode item (relocation, deduplication): nothing to do
  // for an inode that is not the current one.
  if (sctx.cur_ino != sctx.cmp_key.objectid) return 0;
  if (sctx.cur_inode_new_gen || sctx.cur_inode_deleted || result == BTRFS_COMPARE_TREE_DELETED) return 0;
  return process_extent(sctx, *sctx.left_item);
}

int maybe_send_hole(send_ctx& sctx, const btrfs_item& item) {
  if (sctx.cur_ino != item.key.objectid || !need_send_hole(sctx)) return 0;
  const btrfs_file_extent_item* fe = as_file_extent(sctx, item);
  if (!fe) return -EUCLEAN;
  if (sctx.cur_inode_last_extent == ~0ull || sctx.cur_inode_last_extent < item.key.offset)
    if (int ret = get_last_extent(sctx, item.key.offset ? item.key.offset - 1 : 0)) return ret;
  if (item.key.offset == 0) sctx.cur_inode_last_extent = 0;
  if (sctx.cur_inode_last_extent < item.key.offset)
    if (int ret = send_hole(sctx, item.key.offset)) return ret;
  sctx.cur_inode_last_extent = item.key.offset + fe->num_bytes;
  return 0;
}

int process_all_extents(send_ctx& sctx) {
  const uint64_t ino = sctx.cur_ino;
  std::vector<btrfs_item> items;
  int ret = send_iterate_items(sctx, sctx.send_root, {ino, BTRFS_EXTENT_DATA_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != ino || it.key.type != BTRFS_EXTENT_DATA_KEY) return false;
    items.push_back(it);
    return true;
  });
  for (const auto& it : items) {
    if (ret) break;
    ret = process_extent(sctx, it);
  }
  return ret;
}

int send_finish_file_data(send_ctx& sctx) {
  if (need_send_hole(sctx)) {
    if (sctx.cur_inode_last_extent == ~0ull || sctx.cur_inode_last_extent < sctx.cur_inode_size)
      if (int ret = get_last_extent(sctx, ~0ull)) return ret;
    if (sctx.cur_inode_last_extent < sctx.cur_inode_size)
      if (int ret = send_hole(sctx, sctx.cur_inode_size)) return ret;
  }
  send_command c;
  c.cmd = send_cmd::truncate;
  if (int ret = get_cur_path(sctx, sctx.cur_ino, sctx.cur_inode_gen, &c.path)) return ret;
  c.size = sctx.cur_inode_size;
  emit(sctx, std::move(c));
  return 0;
}

}  // namespace fsrace::model
