// How send reads commit roots (send.c alloc_path_for_send, btrfs_search_slot_for_read,
// btrfs_next_item; with d96b34248c2f need_commit_sem searches that clone the leaf and
// search_key_again).
#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

tree_block_ptr cached(btrfs_fs_info& fs_info, uint64_t bytenr) {
  const tree_block_ptr* p = fs_info.buffer_radix.find(bytenr);
  return p ? *p : nullptr;
}

// btrfs_clone_extent_buffer of the leaf the path ends at (d96b34248c2f).
void clone_leaf(send_ctx& sctx, send_path& sp) {
  if (sctx.cloned_buffers) sp.clones[0] = cached(sctx.fs_info, sp.path.nodes[0]);
}

// After btrfs_search_slot returned 1: an item at or after the key, moving to the next leaf when the
// slot is past the leaf's end (btrfs_search_slot_for_read with find_higher).
int to_first_item_at_or_after(send_ctx& sctx, btrfs_root& root, send_path& sp, int ret) {
  if (ret < 0) return ret;
  tree_block_ptr leaf = cached(sctx.fs_info, sp.path.nodes[0]);
  if (ret == 0 || (leaf && sp.path.slots[0] < int(leaf->nritems()))) return 0;
  return btrfs_next_leaf(sctx.fs_info, root, sp.path);
}

}  // namespace

tree_block_ptr send_path_block(send_ctx& sctx, const send_path& sp, int level) {
  if (sp.clones[level]) return sp.clones[level];
  return cached(sctx.fs_info, sp.path.nodes[level]);
}

int send_path_item(send_ctx& sctx, const send_path& sp, btrfs_item* out) {
  tree_block_ptr b = send_path_block(sctx, sp, 0);
  const int slot = sp.path.slots[0];
  if (!b || !b->is_leaf() || slot < 0 || slot >= int(b->nritems())) {
    // The kernel would parse whatever the reused buffer holds now; the model stops here instead.
    sctx.fs_info.log(fmt::format("BTRFS critical: send: leaf {} changed under send: slot {} read from a block now at "
                                 "level {} with {} items (generation {})",
                                 sp.path.nodes[0], slot, b ? b->header.level : 0, b ? b->nritems() : 0,
                                 b ? b->header.generation : 0));
    return -EUCLEAN;
  }
  *out = b->items[slot];
  return 0;
}

int send_search_for_read(send_ctx& sctx, btrfs_root& root, const btrfs_key& key, send_path& sp) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  sp.release();
  if (!sctx.cloned_buffers) {
    // need_commit_sem before d96b34248c2f (btrfs_search_slot_get_root): only root->commit_root is
    // taken under commit_root_sem (with a reference on its extent buffer); the blocks below are read
    // without it, by reference, and a commit may switch the roots and free them meanwhile. The model's
    // search reads the commit root's bytenr and level in one step at its start, which is what the
    // semaphore guarantees; it is not held across the descent.
    int ret = btrfs_search_slot(fs_info, root, key, sp.path);
    return to_first_item_at_or_after(sctx, root, sp, ret);
  }
  // need_commit_sem: no commit can switch the commit roots (and free what we walk) meanwhile.
  fs_info.commit_root_sem.down_read();
  int ret = btrfs_search_slot(fs_info, root, key, sp.path);
  ret = to_first_item_at_or_after(sctx, root, sp, ret);
  if (ret == 0) clone_leaf(sctx, sp);
  fs_info.commit_root_sem.up_read();
  return ret;
}

int send_next_item(send_ctx& sctx, btrfs_root& root, send_path& sp) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  if (!sctx.cloned_buffers) {
    // The next slot of the leaf the path holds, read by reference (its content now); at its end
    // btrfs_next_leaf searches again from the commit root, taken as above (before d96b34248c2f,
    // btrfs_next_old_leaf did not hold commit_root_sem).
    tree_block_ptr leaf = send_path_block(sctx, sp, 0);
    if (leaf && sp.path.slots[0] + 1 < int(leaf->nritems())) {
      sp.path.slots[0]++;
      return 0;
    }
    return btrfs_next_leaf(fs_info, root, sp.path);
  }
  const tree_block_ptr clone = sp.clones[0];
  FSRACE_MODEL_CHECK(clone, "send_next_item without a cloned leaf");
  if (++sp.path.slots[0] < int(clone->nritems())) return 0;
  if (clone->nritems() == 0) return 1;
  // btrfs_next_old_leaf with need_commit_sem: re-search the clone's last key in the current commit
  // root, then step to the next leaf, all under commit_root_sem.
  const btrfs_key last = clone->key_at(clone->nritems() - 1);
  fs_info.commit_root_sem.down_read();
  sp.clones[0] = nullptr;
  int ret = btrfs_search_slot(fs_info, root, last, sp.path);
  if (ret >= 0) ret = btrfs_next_leaf(fs_info, root, sp.path);
  if (ret == 0) clone_leaf(sctx, sp);
  fs_info.commit_root_sem.up_read();
  return ret;
}

int search_key_again(send_ctx& sctx, btrfs_root& root, send_path& sp, const btrfs_key& key, int level) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  sp.release();
  uint64_t bytenr = root.commit_root, gen = root.commit_root_gen;
  int lvl = root.commit_root_level;
  sp.path.top_level = lvl;
  for (int depth = 0; depth < BTRFS_MAX_LEVEL && lvl >= level; ++depth, --lvl) {
    sched::point(sched::L("read_tree_block({}) of commit root {}", bytenr, root.objectid));
    int err = 0;
    tree_block_ptr b = read_tree_block(fs_info, bytenr, gen, lvl, &err);
    if (!b) return err;
    sp.path.nodes[lvl] = bytenr;
    sp.path.gens[lvl] = gen;
    // The last slot whose key is <= key.
    int slot = 0;
    while (slot + 1 < int(b->nritems()) && !(key < b->key_at(slot + 1))) ++slot;
    sp.path.slots[lvl] = slot;
    if (lvl == level) {
      if (b->nritems() > 0 && b->key_at(slot) == key) return 0;
      break;
    }
    if (b->is_leaf()) break;
    bytenr = b->ptrs[slot].blockptr;
    gen = b->ptrs[slot].generation;
  }
  fs_info.log(fmt::format("BTRFS error: send: key {} not found in {} root {}, lowest_level {}", to_string(key),
                          &root == &sctx.send_root ? "send" : "parent", root.objectid, level));
  return -EUCLEAN;
}

}  // namespace fsrace::model
