// changed_cb and the per-inode processing of send.c: inodes (changed_inode), references
// (changed_ref, process_recorded_refs) and the end of an inode (finish_inode_if_needed).
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000;
bool s_isdir(uint64_t mode) { return (mode & S_IFMT) == S_IFDIR; }
bool s_isreg(uint64_t mode) { return (mode & S_IFMT) == S_IFREG; }

std::string join_path(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

const char* result_string(btrfs_compare_tree_result r) {
  switch (r) {
    case BTRFS_COMPARE_TREE_NEW: return "new";
    case BTRFS_COMPARE_TREE_DELETED: return "deleted";
    case BTRFS_COMPARE_TREE_CHANGED: return "updated";
    case BTRFS_COMPARE_TREE_SAME: return "same";
  }
  return "?";
}

void inconsistent_snapshot_error(send_ctx& sctx, btrfs_compare_tree_result result, const char* what) {
  sctx.fs_info.log(fmt::format("BTRFS error: Send: inconsistent snapshot, found {} {} for inode {} without updated "
                               "inode item, send root is {}, parent root is {}",
                               result_string(result), what, sctx.cmp_key.objectid, sctx.send_root.objectid,
                               sctx.parent_root ? sctx.parent_root->objectid : 0));
}

// The item's payload as type T; a foreign item of another type reads as corruption.
template <class T>
int item_as(send_ctx& sctx, const std::optional<btrfs_item>& item, const T** out) {
  *out = item ? std::get_if<T>(&item->value) : nullptr;
  if (*out) return 0;
  sctx.fs_info.log(fmt::format("BTRFS critical: send: item {} of root {} has an unexpected payload",
                               item ? to_string(item->key) : std::string("(none)"), sctx.send_root.objectid));
  return -EUCLEAN;
}

// send_create_inode: a new inode first appears under its orphan name.
void send_create_inode(send_ctx& sctx) {
  const std::string orphan = gen_unique_name(sctx.cur_ino, sctx.cur_inode_gen);
  send_command c;
  c.cmd = s_isdir(sctx.cur_inode_mode) ? send_cmd::mkdir : send_cmd::mkfile;
  c.path = orphan;
  c.ino = sctx.cur_ino;
  emit(sctx, std::move(c));
  note_path(sctx, sctx.cur_ino, "", orphan);
}

// orphanize_inode: another inode not processed yet holds a name we need; move it aside.
void orphanize_inode(send_ctx& sctx, uint64_t ino, const std::string& path) {
  const std::string orphan = gen_unique_name(ino, 0);
  send_command c;
  c.cmd = send_cmd::rename;
  c.path = path;
  c.path_to = orphan;
  emit(sctx, std::move(c));
  note_path(sctx, ino, path, orphan);
}

int ref_path(send_ctx& sctx, const recorded_ref& ref, std::string* out) {
  std::string dir;
  int ret = get_cur_path(sctx, ref.dir, 0, &dir);
  if (ret) return ret;
  *out = join_path(dir, ref.name);
  return 0;
}

// process_recorded_refs: renames, links and unlinks that give the current inode its new names.
int process_recorded_refs(send_ctx& sctx) {
  const uint64_t ino = sctx.cur_ino;
  // A reference both deleted and added is unchanged.
  for (auto it = sctx.new_refs.begin(); it != sctx.new_refs.end();) {
    auto d = std::find(sctx.deleted_refs.begin(), sctx.deleted_refs.end(), *it);
    if (d == sctx.deleted_refs.end()) {
      ++it;
      continue;
    }
    sctx.deleted_refs.erase(d);
    it = sctx.new_refs.erase(it);
  }
  std::string cur;
  int ret = get_cur_path(sctx, ino, sctx.cur_inode_gen, &cur);
  if (ret) return ret;
  std::vector<std::string> old_paths;
  for (const auto& d : sctx.deleted_refs) {
    std::string p;
    if ((ret = ref_path(sctx, d, &p))) return ret;
    old_paths.push_back(p);
  }
  if (sctx.cur_inode_deleted) {
    // The inode is gone: remove every name it still has on the receiver (an orphan name included).
    if (auto it = sctx.cur_paths.find(ino); it != sctx.cur_paths.end() &&
                                            std::find(old_paths.begin(), old_paths.end(), it->second) == old_paths.end())
      old_paths.push_back(it->second);
    for (const auto& p : old_paths) {
      auto po = sctx.path_owner.find(p);
      const uint64_t owner = po == sctx.path_owner.end() ? ino : po->second;  // not moved by the stream: ours
      if (owner != ino) continue;
      send_command c;
      c.cmd = s_isdir(sctx.cur_inode_mode) ? send_cmd::rmdir : send_cmd::unlink;
      c.path = p;
      emit(sctx, std::move(c));
      sctx.path_owner[p] = 0;
    }
    sctx.cur_paths.erase(ino);
  } else {
    const bool is_orphan = sctx.cur_paths.count(ino) && cur == gen_unique_name(ino, sctx.cur_inode_gen);
    bool renamed = false;
    for (const auto& n : sctx.new_refs) {
      std::string p;
      if ((ret = ref_path(sctx, n, &p))) return ret;
      uint64_t owner = 0;
      if ((ret = receiver_path_owner(sctx, n.dir, n.name, p, &owner))) return ret;
      if (owner && owner != ino) orphanize_inode(sctx, owner, p);
      const bool cur_goes = is_orphan || std::find(old_paths.begin(), old_paths.end(), cur) != old_paths.end();
      send_command c;
      if (!renamed && cur_goes) {
        c.cmd = send_cmd::rename;
        c.path = cur;
        c.path_to = p;
        emit(sctx, std::move(c));
        note_path(sctx, ino, cur, p);
        cur = p;
        renamed = true;
      } else {
        c.cmd = send_cmd::link;
        c.path = p;
        c.path_to = cur;
        emit(sctx, std::move(c));
        sctx.path_owner[p] = ino;
      }
    }
    for (const auto& p : old_paths) {
      if (p == cur) continue;
      auto po = sctx.path_owner.find(p);
      if (po != sctx.path_owner.end() && po->second != ino) continue;
      send_command c;
      c.cmd = send_cmd::unlink;
      c.path = p;
      emit(sctx, std::move(c));
      sctx.path_owner[p] = 0;
    }
    if (!renamed && !sctx.new_refs.empty()) sctx.cur_paths[ino] = cur;
  }
  sctx.new_refs.clear();
  sctx.deleted_refs.clear();
  sctx.send_progress = ino + 1;
  return 0;
}

int process_recorded_refs_if_needed(send_ctx& sctx, bool at_end) {
  if (sctx.cur_ino == 0) return 0;
  if (!at_end && sctx.cur_ino == sctx.cmp_key.objectid && sctx.cmp_key.type <= BTRFS_INODE_REF_KEY) return 0;
  if (sctx.new_refs.empty() && sctx.deleted_refs.empty()) return 0;
  return process_recorded_refs(sctx);
}

int record_ref(send_ctx& sctx, const std::optional<btrfs_item>& item, std::vector<recorded_ref>& to) {
  const btrfs_inode_ref* ref = nullptr;
  if (int ret = item_as(sctx, item, &ref)) return ret;
  to.push_back({item->key.offset, ref->name});
  return 0;
}

// process_all_refs: every reference of the current inode in the left (NEW) or right (DELETED) root.
int process_all_refs(send_ctx& sctx, btrfs_compare_tree_result result) {
  btrfs_root& root = result == BTRFS_COMPARE_TREE_NEW ? sctx.send_root : *sctx.parent_root;
  auto& to = result == BTRFS_COMPARE_TREE_NEW ? sctx.new_refs : sctx.deleted_refs;
  const uint64_t ino = sctx.cur_ino;
  int ret = send_iterate_items(sctx, root, {ino, BTRFS_INODE_REF_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != ino || it.key.type != BTRFS_INODE_REF_KEY) return false;
    if (const auto* ref = std::get_if<btrfs_inode_ref>(&it.value)) to.push_back({it.key.offset, ref->name});
    return true;
  });
  if (ret) return ret;
  return process_recorded_refs(sctx);
}

int changed_inode(send_ctx& sctx, btrfs_compare_tree_result result) {
  const btrfs_inode_item *left = nullptr, *right = nullptr;
  sctx.cur_ino = sctx.cmp_key.objectid;
  sctx.cur_inode_new_gen = false;
  sctx.cur_inode_last_extent = ~0ull;
  // send_progress = cur_ino: the current inode is not processed yet (its refs are pending).
  sctx.send_progress = sctx.cur_ino;
  if (result != BTRFS_COMPARE_TREE_DELETED)
    if (int ret = item_as(sctx, sctx.left_item, &left)) return ret;
  if (result != BTRFS_COMPARE_TREE_NEW)
    if (int ret = item_as(sctx, sctx.right_item, &right)) return ret;
  if (result == BTRFS_COMPARE_TREE_CHANGED && left->generation != right->generation &&
      sctx.cur_ino != BTRFS_FIRST_FREE_OBJECTID)
    sctx.cur_inode_new_gen = true;  // the inode number was reused by a new inode

  auto as_new = [&] {
    sctx.cur_inode_gen = left->generation;
    sctx.cur_inode_new = true;
    sctx.cur_inode_deleted = false;
    sctx.cur_inode_size = left->size;
    sctx.cur_inode_mode = left->mode;
  };
  auto as_deleted = [&] {
    sctx.cur_inode_gen = right->generation;
    sctx.cur_inode_new = false;
    sctx.cur_inode_deleted = true;
    sctx.cur_inode_size = right->size;
    sctx.cur_inode_mode = right->mode;
  };
  if (result == BTRFS_COMPARE_TREE_NEW) {
    as_new();
    if (sctx.cur_ino != BTRFS_FIRST_FREE_OBJECTID) send_create_inode(sctx);
    return 0;
  }
  if (result == BTRFS_COMPARE_TREE_DELETED) {
    as_deleted();
    return 0;
  }
  if (!sctx.cur_inode_new_gen) {
    sctx.cur_inode_gen = left->generation;
    sctx.cur_inode_new = sctx.cur_inode_deleted = false;
    sctx.cur_inode_size = left->size;
    sctx.cur_inode_mode = left->mode;
    sctx.right_inode_mode = right->mode;
    return 0;
  }
  // First process the inode as if it was deleted, then as if it was new.
  as_deleted();
  if (int ret = process_all_refs(sctx, BTRFS_COMPARE_TREE_DELETED)) return ret;
  as_new();
  send_create_inode(sctx);
  if (int ret = process_all_refs(sctx, BTRFS_COMPARE_TREE_NEW)) return ret;
  sctx.send_progress = sctx.cur_ino + 1;
  return process_all_extents(sctx);
}

int changed_ref(send_ctx& sctx, btrfs_compare_tree_result result) {
  if (sctx.cur_ino != sctx.cmp_key.objectid) {
    inconsistent_snapshot_error(sctx, result, "reference");
    return -EIO;
  }
  if (sctx.cur_inode_new_gen || sctx.cur_ino == BTRFS_FIRST_FREE_OBJECTID) return 0;
  int ret = 0;
  if (result != BTRFS_COMPARE_TREE_DELETED) ret = record_ref(sctx, sctx.left_item, sctx.new_refs);
  if (!ret && result != BTRFS_COMPARE_TREE_NEW) ret = record_ref(sctx, sctx.right_item, sctx.deleted_refs);
  return ret;
}

}  // namespace

int finish_inode_if_needed(send_ctx& sctx, bool at_end) {
  if (sctx.cur_ino == 0) return 0;
  if (!at_end && sctx.cur_ino == sctx.cmp_key.objectid && sctx.cmp_key.type <= BTRFS_INODE_REF_KEY) return 0;
  if (int ret = process_recorded_refs_if_needed(sctx, at_end)) return ret;
  if (sctx.cur_inode_deleted) return 0;
  if (!at_end && sctx.cmp_key.objectid == sctx.cur_ino) return 0;
  std::string path;
  if (int ret = get_cur_path(sctx, sctx.cur_ino, sctx.cur_inode_gen, &path)) return ret;
  if (s_isreg(sctx.cur_inode_mode))
    if (int ret = send_finish_file_data(sctx)) return ret;
  if (sctx.cur_inode_new || sctx.cur_inode_new_gen || sctx.cur_inode_mode != sctx.right_inode_mode) {
    send_command c;
    c.cmd = send_cmd::chmod;
    c.path = path;
    c.size = sctx.cur_inode_mode & 07777;
    emit(sctx, std::move(c));
  }
  send_command u;
  u.cmd = send_cmd::utimes;
  u.path = path;
  emit(sctx, std::move(u));
  // Finished: later items of other inodes (changed without their inode item) do not finish it again.
  sctx.cur_ino = 0;
  return 0;
}

int changed_cb(send_ctx& sctx, const btrfs_item* left, const btrfs_item* right, const btrfs_key& key,
               btrfs_compare_tree_result result) {
  if (result == BTRFS_COMPARE_TREE_SAME) {
    if (key.type == BTRFS_EXTENT_DATA_KEY && left) return maybe_send_hole(sctx, *left);
    return 0;
  }
  sctx.cmp_key = key;
  sctx.left_item = left ? std::optional<btrfs_item>(*left) : std::nullopt;
  sctx.right_item = right ? std::optional<btrfs_item>(*right) : std::nullopt;
  if (int ret = finish_inode_if_needed(sctx, false)) return ret;
  if (key.objectid < BTRFS_FIRST_FREE_OBJECTID) return 0;  // not an inode of the subvolume
  switch (key.type) {
    case BTRFS_INODE_ITEM_KEY: return changed_inode(sctx, result);
    case BTRFS_INODE_REF_KEY: return changed_ref(sctx, result);
    case BTRFS_EXTENT_DATA_KEY: return changed_extent(sctx, result);
    default: return 0;
  }
}

}  // namespace fsrace::model
