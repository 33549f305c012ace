#include "model/data/file_extent.hpp"

#include <algorithm>

#include "model/block_group.hpp"
#include "model/ctree.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/delayed_ref.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t BTRFS_MAX_EXTENT_SIZE = 128ull << 20;

btrfs_root& fs_root_of(btrfs_trans_handle& trans, const btrfs_inode& inode) {
  btrfs_root* root = trans.fs_info->get_fs_root(inode.root);
  FSRACE_MODEL_CHECK(root != nullptr, "inode {} of missing root {}", inode.ino, inode.root);
  return *root;
}

void add_ref(btrfs_trans_handle& trans, const btrfs_inode& inode, const file_extent& fe, int action) {
  btrfs_add_delayed_data_ref(trans, fe.fi.disk_bytenr, fe.fi.disk_num_bytes, inode.root, inode.ino, fe.ref_offset(),
                             0, action, false);
}

}  // namespace

std::vector<file_extent> btrfs_lookup_file_extents(btrfs_fs_info& fs_info, btrfs_root& root, uint64_t ino,
                                                   uint64_t start, uint64_t end) {
  std::vector<file_extent> out;
  const uint64_t from = start > BTRFS_MAX_EXTENT_SIZE ? start - BTRFS_MAX_EXTENT_SIZE : 0;
  btrfs_for_each_item(fs_info, root, {ino, BTRFS_EXTENT_DATA_KEY, from}, [&](const btrfs_item& item) {
    if (item.key.objectid != ino || item.key.type != BTRFS_EXTENT_DATA_KEY || item.key.offset >= end) return false;
    file_extent fe{item.key.offset, std::get<btrfs_file_extent_item>(item.value)};
    if (fe.end() > start) out.push_back(fe);
    return true;
  });
  return out;
}

int btrfs_lookup_file_extent(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path, uint64_t ino,
                             uint64_t offset) {
  return btrfs_search_slot(fs_info, root, {ino, BTRFS_EXTENT_DATA_KEY, offset}, path);
}

namespace {

// bytes_found: the allocated bytes of [start, end) dropped (drop_args.bytes_found). With 2766ff61762c the
// caller changes the inode's bytes once after its insert (btrfs_update_inode_bytes); before it the drop
// took each extent's bytes off at once (inode_sub_bytes), several tree operations before the insert.
int drop_extents_locked(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t start, uint64_t end,
                        uint64_t& bytes_found) {
  const bool atomic_bytes = trans.fs_info->fixes.has("2766ff61762c");
  bytes_found = 0;
  // Each tree operation may be a scheduling point, and lookups of other ranges of the file do not wait
  // for ours (the kernel holds the leaf lock across the whole edit). So new items are inserted before
  // the old one shrinks or goes: every state in between maps offsets outside [start, end) exactly as
  // before (two items may overlap for a moment; they agree where they do).
  btrfs_root& root = fs_root_of(trans, inode);
  for (const file_extent& fe : btrfs_lookup_file_extents(*trans.fs_info, root, inode.ino, start, end)) {
    const uint64_t ks = fe.key_offset, ke = fe.end();
    const bool has_extent = fe.fi.disk_bytenr != 0;
    const btrfs_key key{inode.ino, BTRFS_EXTENT_DATA_KEY, ks};
    int ret = 0;
    if (ke > end) {  // the part after `end` stays, under key `end`, with a reference of its own
      auto tail = fe.fi;
      tail.offset += end - ks;
      tail.num_bytes = ke - end;
      ret = btrfs_insert_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, end}, tail);
      if (!ret && has_extent) add_ref(trans, inode, fe, +1);
    }
    if (!ret && ks < start) {  // the part before `start` stays under the old key
      auto head = fe.fi;
      head.num_bytes = start - ks;
      ret = btrfs_update_item(trans, root, key, head);
    } else if (!ret) {
      ret = btrfs_delete_item(trans, root, key);
      if (!ret && has_extent) add_ref(trans, inode, fe, -1);
    }
    if (has_extent) {
      const uint64_t dropped = std::min(end, ke) - std::max(start, ks);
      bytes_found += dropped;
      if (!atomic_bytes) inode.nbytes -= dropped;  // inode_sub_bytes, before 2766ff61762c
    }
    if (ret) return ret;
  }
  return 0;
}

}  // namespace

void btrfs_update_inode_bytes(btrfs_inode& inode, uint64_t add_bytes, uint64_t del_bytes) {
  // Under inode->lock in the kernel, which btrfs_getattr takes too: one step here.
  FSRACE_MODEL_CHECK(inode.nbytes + add_bytes >= del_bytes, "ino {}: nbytes {} + {} < {} dropped", inode.ino,
                     inode.nbytes, add_bytes, del_bytes);
  inode.nbytes = inode.nbytes - del_bytes + add_bytes;
}

int btrfs_drop_extents(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t start, uint64_t end,
                       uint64_t* bytes_found) {
  uint64_t found = 0;
  inode.items_lock.lock();
  const int ret = drop_extents_locked(trans, inode, start, end, found);
  if (bytes_found) *bytes_found = found;
  inode.items_lock.unlock();
  return ret;
}

int insert_reserved_file_extent(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t file_pos,
                                uint64_t disk_bytenr, uint64_t disk_num_bytes, uint64_t num_bytes, uint8_t type) {
  uint64_t bytes_found = 0;
  inode.items_lock.lock();
  int ret = drop_extents_locked(trans, inode, file_pos, file_pos + num_bytes, bytes_found);
  btrfs_file_extent_item fi;
  fi.generation = trans.transid;
  fi.ram_bytes = num_bytes;
  fi.type = type;
  fi.disk_bytenr = disk_bytenr;
  fi.disk_num_bytes = disk_num_bytes;
  fi.offset = 0;
  fi.num_bytes = num_bytes;
  if (!ret) ret = btrfs_insert_item(trans, fs_root_of(trans, inode), {inode.ino, BTRFS_EXTENT_DATA_KEY, file_pos}, fi);
  inode.items_lock.unlock();
  if (ret) return ret;
  // 6.1 (inode.c:3190-3191): one update after the insert. For buffered writes 6.1 passes
  // update_inode_bytes false and adds a hole's bytes when it clears EXTENT_DELALLOC_NEW later in the same
  // completion; the model has no EXTENT_DELALLOC_NEW and adds them here (README departures).
  if (trans.fs_info->fixes.has("2766ff61762c"))
    btrfs_update_inode_bytes(inode, num_bytes, bytes_found);
  else
    inode.nbytes += num_bytes;  // inode_add_bytes; the drop took the old bytes off already
  // btrfs_alloc_reserved_file_extent: the extent item itself is inserted when delayed refs run.
  btrfs_add_delayed_data_ref(trans, disk_bytenr, disk_num_bytes, inode.root, inode.ino, file_pos, 0, +1, true);
  return 0;
}

namespace {

int mark_written_locked(btrfs_trans_handle& trans, btrfs_inode& inode, btrfs_root& root, uint64_t start, uint64_t end) {
  const auto items = btrfs_lookup_file_extents(*trans.fs_info, root, inode.ino, start, end);
  uint64_t covered = 0;
  for (const file_extent& fe : items) {
    FSRACE_ABORT_TRANSACTION_IF(fe.fi.type != BTRFS_FILE_EXTENT_PREALLOC, -EINVAL, "mark_extent_written ino {} [{}, {}): item at {} is not prealloc",
                  inode.ino, start, end, fe.key_offset);
    const uint64_t ks = fe.key_offset, ke = fe.end();
    const uint64_t s = std::max(start, ks), e = std::min(end, ke);
    covered += e - s;
    // Same discipline as btrfs_drop_extents: insert the new pieces first, shrink the old item last.
    auto piece = [&](uint64_t ps, uint64_t pe, uint8_t type) {
      auto fi = fe.fi;
      fi.type = type;
      fi.offset = fe.fi.offset + (ps - ks);
      fi.num_bytes = pe - ps;
      if (type == BTRFS_FILE_EXTENT_REG) fi.generation = trans.transid;
      return fi;
    };
    int ret = 0, added = 0;
    if (e < ke) {
      ret = btrfs_insert_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, e}, piece(e, ke, BTRFS_FILE_EXTENT_PREALLOC));
      added++;
    }
    if (!ret && ks < s) {
      ret = btrfs_insert_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, s}, piece(s, e, BTRFS_FILE_EXTENT_REG));
      added++;
      if (!ret) ret = btrfs_update_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, ks}, piece(ks, s, BTRFS_FILE_EXTENT_PREALLOC));
    } else if (!ret) {
      ret = btrfs_update_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, ks}, piece(s, e, BTRFS_FILE_EXTENT_REG));
    }
    if (ret) return ret;
    for (int i = 0; i < added; i++) add_ref(trans, inode, fe, +1);  // each split piece holds a reference
  }
  FSRACE_ABORT_TRANSACTION_IF(covered != end - start, -EINVAL, "mark_extent_written ino {} [{}, {}): prealloc items cover {} bytes", inode.ino,
                start, end, covered);
  return 0;
}

}  // namespace

int btrfs_mark_extent_written(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t start, uint64_t end) {
  btrfs_root& root = fs_root_of(trans, inode);
  inode.items_lock.lock();
  const int ret = mark_written_locked(trans, inode, root, start, end);
  inode.items_lock.unlock();
  return ret;
}

int btrfs_truncate_inode_items(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t new_size, uint8_t min_type) {
  btrfs_root& root = fs_root_of(trans, inode);
  inode.items_lock.lock();
  std::vector<btrfs_item> items;
  btrfs_for_each_item(*trans.fs_info, root, {inode.ino, 0, 0}, [&](const btrfs_item& item) {
    if (item.key.objectid != inode.ino) return false;
    if (item.key.type >= min_type) items.push_back(item);
    return true;
  });
  const uint64_t sector = trans.fs_info->sectorsize;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {  // from the highest key down, like the kernel
    int ret = 0;
    if (it->key.type == BTRFS_EXTENT_DATA_KEY) {
      file_extent fe{it->key.offset, std::get<btrfs_file_extent_item>(it->value)};
      const bool has_extent = fe.fi.disk_bytenr != 0;
      if (fe.key_offset >= new_size) {
        ret = btrfs_delete_item(trans, root, it->key);
        if (!ret && has_extent) add_ref(trans, inode, fe, -1);
        if (has_extent) inode.nbytes -= fe.fi.num_bytes;
      } else if (fe.end() > new_size) {
        auto fi = fe.fi;
        fi.num_bytes = (new_size - fe.key_offset + sector - 1) / sector * sector;
        if (fi.num_bytes < fe.fi.num_bytes) {
          if (has_extent) inode.nbytes -= fe.fi.num_bytes - fi.num_bytes;
          ret = btrfs_update_item(trans, root, it->key, fi);
        }
      }
    } else {
      ret = btrfs_delete_item(trans, root, it->key);
    }
    if (ret) {
      inode.items_lock.unlock();
      return ret;
    }
  }
  inode.items_lock.unlock();
  return 0;
}

bool btrfs_cross_ref_exist(btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t offset,
                           uint64_t disk_bytenr, uint64_t disk_num_bytes) {
  // check_delayed_ref: refcount_inc on the running transaction under trans_lock.
  fs_info.trans_lock.lock();
  const transaction_ptr cur_trans = fs_info.running_transaction;
  fs_info.trans_lock.unlock();
  const uint64_t total = btrfs_lookup_extent_refs(fs_info, cur_trans.get(), disk_bytenr, true);
  int64_t ours = 0;
  item_value v;
  if (btrfs_lookup_item(fs_info, fs_info.extent_root(), {disk_bytenr, BTRFS_EXTENT_ITEM_KEY, disk_num_bytes}, &v) == 0) {
    const auto& ei = std::get<btrfs_extent_item>(v);
    btrfs_root* r = fs_info.get_fs_root(root);
    // check_committed_ref: an extent older than the last snapshot may be shared through the snapshot's
    // tree blocks even with a single data reference.
    if (r && ei.generation <= r->root_item.last_snapshot) return true;
    for (const auto& ref : ei.inline_refs)
      if (ref.type == BTRFS_EXTENT_DATA_REF_KEY && ref.root == root && ref.objectid == ino && ref.offset == offset)
        ours += ref.count;
  }
  // check_delayed_ref: pending references of the running transaction.
  if (cur_trans) {
    auto& heads = cur_trans->delayed_refs.heads;
    if (auto h = heads.find(disk_bytenr); h != heads.end())
      for (const auto& node : h->second.refs)
        if (node.root == root && node.owner == ino && node.offset == offset) ours += node.action;
  }
  return int64_t(total) != ours;
}

bool btrfs_extent_readonly(btrfs_fs_info& fs_info, uint64_t bytenr) {
  // Complete: the group cache and the group's ro flag.
  sched::FootprintScope scope(sched::declared().touch_kind(sched::ObjectKind::BlockGroup, false));
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, bytenr);
  return !bg || bg->ro != 0;
}

}  // namespace fsrace::model
