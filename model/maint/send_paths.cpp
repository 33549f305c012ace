// Names on the receiving side (send.c gen_unique_name, get_cur_path, get_first_ref, the orphan
// names of inodes not yet in place). The model tracks what the stream has moved so far and takes
// everything else from the parent snapshot.
#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "model/maint/snapshot_internal.hpp"

namespace fsrace::model {
namespace {

std::string join_path(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

constexpr int kMaxPathDepth = 64;  // directories nest at most this deep in the model

int cur_path_rec(send_ctx& sctx, uint64_t ino, uint64_t gen, std::string* out, int depth) {
  if (ino == BTRFS_FIRST_FREE_OBJECTID) {
    out->clear();
    return 0;
  }
  if (auto it = sctx.cur_paths.find(ino); it != sctx.cur_paths.end()) {
    *out = it->second;
    return 0;
  }
  if (sctx.parent_root && depth < kMaxPathDepth) {
    // Not moved by the stream: where the parent snapshot has it.
    recorded_ref ref;
    int ret = get_first_ref(sctx, *sctx.parent_root, ino, &ref);
    if (ret == 0) {
      std::string dir;
      ret = cur_path_rec(sctx, ref.dir, 0, &dir, depth + 1);
      if (ret) return ret;
      *out = join_path(dir, ref.name);
      return 0;
    }
    if (ret != -ENOENT) return ret;
  }
  *out = gen_unique_name(ino, gen);  // not on the receiver yet
  return 0;
}

}  // namespace

std::string gen_unique_name(uint64_t ino, uint64_t gen) { return fmt::format("o{}-{}-0", ino, gen); }

void emit(send_ctx& sctx, send_command c) { sctx.stream.commands.push_back(std::move(c)); }

void note_path(send_ctx& sctx, uint64_t ino, const std::string& old_path, const std::string& new_path) {
  if (!old_path.empty()) sctx.path_owner[old_path] = 0;
  sctx.path_owner[new_path] = ino;
  sctx.cur_paths[ino] = new_path;
}

int get_first_ref(send_ctx& sctx, btrfs_root& root, uint64_t ino, recorded_ref* out) {
  bool found = false;
  int ret = send_iterate_items(sctx, root, {ino, BTRFS_INODE_REF_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid == ino && it.key.type == BTRFS_INODE_REF_KEY) {
      if (const auto* ref = std::get_if<btrfs_inode_ref>(&it.value)) {
        *out = {it.key.offset, ref->name};
        found = true;
      }
    }
    return false;
  });
  if (ret) return ret;
  return found ? 0 : -ENOENT;
}

int get_cur_path(send_ctx& sctx, uint64_t ino, uint64_t gen, std::string* out) {
  return cur_path_rec(sctx, ino, gen, out, 0);
}

int receiver_path_owner(send_ctx& sctx, uint64_t dir, const std::string& name, const std::string& path,
                        uint64_t* owner) {
  *owner = 0;
  if (auto it = sctx.path_owner.find(path); it != sctx.path_owner.end()) {
    *owner = it->second;
    return 0;
  }
  if (!sctx.parent_root) return 0;
  // lookup_dir_item_inode in the parent snapshot.
  const btrfs_key key{dir, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)};
  return send_iterate_items(sctx, *sctx.parent_root, key, [&](const btrfs_item& it) {
    if (it.key == key)
      if (const auto* di = std::get_if<btrfs_dir_item>(&it.value))
        if (di->name == name && di->location.type == BTRFS_INODE_ITEM_KEY) *owner = di->location.objectid;
    return false;
  });
}

}  // namespace fsrace::model
