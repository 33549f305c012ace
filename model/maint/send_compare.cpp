// btrfs_compare_trees (ctree.c of v5.0-v5.3; send.c later): walks the commit roots of the send
// and parent snapshots side by side, skipping shared subtrees, and calls changed_cb for every item
// that is new, deleted or changed. With d96b34248c2f it holds commit_root_sem, clones leaves and
// root nodes, and restarts from the current keys when a relocation committed meanwhile.
#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr int ADVANCE = 1, ADVANCE_ONLY_NEXT = -1;
constexpr int kEndReached = -1;  // tree_move_next_or_upnext: the root's last slot was passed

struct tree_cursor {
  explicit tree_cursor(btrfs_root& r) : root(r) {}
  btrfs_root& root;
  send_path sp;
  int level = 0, root_level = 0;
  btrfs_key key;
  int end_reached = 0;
  int advance = 0;
};

// The key at the path's slot of `level`, from the block's content now. A slot past the block's
// items (its content changed under us) reads as the largest key.
btrfs_key slot_key(send_ctx& sctx, const tree_cursor& c, int level) {
  tree_block_ptr b = send_path_block(sctx, c.sp, level);
  const int slot = c.sp.path.slots[level];
  if (!b || slot < 0 || slot >= int(b->nritems())) return btrfs_key::max();
  return b->key_at(slot);
}

// The child pointer at the slot of a node (blockptr, generation); zeros when the block is no node.
btrfs_key_ptr slot_ptr(send_ctx& sctx, const tree_cursor& c, int level) {
  tree_block_ptr b = send_path_block(sctx, c.sp, level);
  const int slot = c.sp.path.slots[level];
  if (!b || b->is_leaf() || slot < 0 || slot >= int(b->nritems())) return {};
  return b->ptrs[slot];
}

// read_node_slot on a cloned node (d96b34248c2f): the clone is the parent.
tree_block_ptr read_cloned_node_slot(send_ctx& sctx, tree_cursor& c, int level, int* err) {
  const tree_block_ptr& parent = c.sp.clones[level];
  const int slot = c.sp.path.slots[level];
  if (slot < 0 || slot >= int(parent->nritems())) {
    *err = -ENOENT;
    return nullptr;
  }
  FSRACE_BUG_ON(parent->header.level == 0, "read_node_slot: BUG_ON(level == 0) on cloned block {}", parent->header.bytenr);
  sched::point(sched::L("read_node_slot({}, slot {})", parent->header.bytenr, uint64_t(slot)));
  return read_tree_block(sctx.fs_info, parent->ptrs[slot].blockptr, parent->ptrs[slot].generation, level - 1, err);
}

int tree_move_down(send_ctx& sctx, tree_cursor& c) {
  FSRACE_ASSERT(c.level != 0, "tree_move_down at level 0");
  int err = 0;
  tree_block_ptr eb = c.sp.clones[c.level] ? read_cloned_node_slot(sctx, c, c.level, &err)
                                           : read_node_slot(sctx.fs_info, c.sp.path, c.level, c.sp.path.slots[c.level], &err);
  if (!eb) return err;
  c.sp.path.nodes[c.level - 1] = eb->header.bytenr;
  c.sp.path.gens[c.level - 1] = eb->header.generation;
  c.sp.path.slots[c.level - 1] = 0;
  c.level--;
  if (c.level == 0 && sctx.cloned_buffers) c.sp.clones[0] = eb;  // replace_node_with_clone
  return 0;
}

int tree_move_next_or_upnext(send_ctx& sctx, tree_cursor& c) {
  auto nritems_at = [&](int level) {
    tree_block_ptr b = send_path_block(sctx, c.sp, level);
    return b ? int(b->nritems()) : 0;
  };
  int nritems = nritems_at(c.level);
  int ret = 0;
  c.sp.path.slots[c.level]++;
  for (int guard = 0; c.sp.path.slots[c.level] >= nritems; ++guard) {
    FSRACE_MODEL_CHECK(guard <= BTRFS_MAX_LEVEL, "tree_move_next_or_upnext climbed past the root");
    if (c.level == c.root_level) {
      if (sctx.cloned_buffers) c.sp.path.slots[c.level] = nritems - 1;
      return kEndReached;
    }
    c.sp.path.slots[c.level] = 0;
    c.sp.path.nodes[c.level] = 0;
    c.sp.clones[c.level] = nullptr;
    c.level++;
    c.sp.path.slots[c.level]++;
    nritems = nritems_at(c.level);
    ret = 1;
  }
  return ret;
}

int tree_advance(send_ctx& sctx, tree_cursor& c, bool allow_down) {
  int ret = (c.level == 0 || !allow_down) ? tree_move_next_or_upnext(sctx, c) : tree_move_down(sctx, c);
  if (ret >= 0 || (ret == kEndReached && sctx.cloned_buffers)) c.key = slot_key(sctx, c, c.level);
  return ret;
}

// tree_compare_item: the two items' bytes are equal.
bool items_equal(const btrfs_item& a, const btrfs_item& b) {
  if (a.value.index() != b.value.index() || item_size(a.value) != item_size(b.value)) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b.value);
        if constexpr (std::is_same_v<T, btrfs_inode_item>)
          return x.generation == y.generation && x.transid == y.transid && x.size == y.size && x.nbytes == y.nbytes &&
                 x.nlink == y.nlink && x.mode == y.mode && x.flags == y.flags;
        else if constexpr (std::is_same_v<T, btrfs_inode_ref>) return x.index == y.index && x.name == y.name;
        else if constexpr (std::is_same_v<T, btrfs_dir_item>)
          return x.location == y.location && x.transid == y.transid && x.type == y.type && x.name == y.name;
        else if constexpr (std::is_same_v<T, btrfs_file_extent_item>)
          return x.generation == y.generation && x.ram_bytes == y.ram_bytes && x.type == y.type &&
                 x.disk_bytenr == y.disk_bytenr && x.disk_num_bytes == y.disk_num_bytes && x.offset == y.offset &&
                 x.num_bytes == y.num_bytes;
        else return describe(a.value) == describe(b.value);
      },
      a.value);
}

// restart_after_relocation (d96b34248c2f): the paths may hold blocks relocation freed; search the
// current keys again in the new commit roots (keys of read-only trees never change).
int restart_after_relocation(send_ctx& sctx, tree_cursor& l, tree_cursor& r) {
  for (tree_cursor* c : {&l, &r}) {
    const int ret = search_key_again(sctx, c->root, c->sp, c->key, c->level);
    if (ret) return ret;
    if (c->level == 0) c->sp.clones[0] = send_path_block(sctx, c->sp, 0);
    c->root_level = c->root.commit_root_level;
    if (c->root_level > 0) c->sp.clones[c->root_level] = send_path_block(sctx, c->sp, c->root_level);
  }
  return 0;
}

// changed_cb with the items copied out of the leaves; with d96b34248c2f without commit_root_sem.
int call_changed_cb(send_ctx& sctx, tree_cursor& l, tree_cursor& r, const btrfs_key& key,
                    btrfs_compare_tree_result result) {
  btrfs_item li, ri;
  int ret = 0;
  if (result != BTRFS_COMPARE_TREE_DELETED) ret = send_path_item(sctx, l.sp, &li);
  if (!ret && result != BTRFS_COMPARE_TREE_NEW) ret = send_path_item(sctx, r.sp, &ri);
  if (ret) return ret;
  if (result == BTRFS_COMPARE_TREE_CHANGED && items_equal(li, ri)) result = BTRFS_COMPARE_TREE_SAME;
  if (sctx.cloned_buffers) sctx.fs_info.commit_root_sem.up_read();
  ret = changed_cb(sctx, result == BTRFS_COMPARE_TREE_DELETED ? nullptr : &li,
                   result == BTRFS_COMPARE_TREE_NEW ? nullptr : &ri, key, result);
  if (sctx.cloned_buffers) sctx.fs_info.commit_root_sem.down_read();
  return ret;
}

int init_cursor(send_ctx& sctx, tree_cursor& c) {
  btrfs_root& root = c.root;
  int err = 0;
  // root->commit_root is an extent buffer send takes a reference on (no parent to verify against).
  tree_block_ptr b = read_tree_block(sctx.fs_info, root.commit_root, 0, root.commit_root_level, &err);
  if (!b) return err;
  c.level = c.root_level = root.commit_root_level;
  c.sp.path.nodes[c.level] = root.commit_root;
  c.sp.path.gens[c.level] = root.commit_root_gen;
  c.sp.path.top_level = c.level;
  // btrfs_clone_extent_buffer(root->commit_root) under commit_root_sem, before and after d96b34248c2f:
  // snapshot creation COWs the root node, so the old one may be reused while send runs.
  c.sp.clones[c.level] = b;
  if (b->nritems() == 0) c.end_reached = ADVANCE;
  else c.key = b->key_at(0);
  return 0;
}

int compare_loop(send_ctx& sctx, tree_cursor& l, tree_cursor& r) {
  for (;;) {  // bounded by the trees' sizes; a tree changing under send is caught by the step limit
    if (sctx.cloned_buffers && sctx.fs_info.last_reloc_trans > sctx.last_reloc_trans) {
      if (int ret = restart_after_relocation(sctx, l, r)) return ret;
      sctx.last_reloc_trans = sctx.fs_info.last_reloc_trans;
    }
    for (tree_cursor* c : {&l, &r}) {
      if (!c->advance || c->end_reached) continue;
      const int ret = tree_advance(sctx, *c, c->advance != ADVANCE_ONLY_NEXT);
      if (ret == kEndReached) c->end_reached = ADVANCE;
      else if (ret < 0) return ret;
      c->advance = 0;
    }
    if (l.end_reached && r.end_reached) return 0;
    if (l.end_reached) {
      if (r.level == 0)
        if (int ret = call_changed_cb(sctx, l, r, r.key, BTRFS_COMPARE_TREE_DELETED)) return ret;
      r.advance = ADVANCE;
      continue;
    }
    if (r.end_reached) {
      if (l.level == 0)
        if (int ret = call_changed_cb(sctx, l, r, l.key, BTRFS_COMPARE_TREE_NEW)) return ret;
      l.advance = ADVANCE;
      continue;
    }
    if (l.level == 0 && r.level == 0) {
      int ret;
      if (l.key < r.key) {
        ret = call_changed_cb(sctx, l, r, l.key, BTRFS_COMPARE_TREE_NEW);
        l.advance = ADVANCE;
      } else if (r.key < l.key) {
        ret = call_changed_cb(sctx, l, r, r.key, BTRFS_COMPARE_TREE_DELETED);
        r.advance = ADVANCE;
      } else {
        ret = call_changed_cb(sctx, l, r, l.key, BTRFS_COMPARE_TREE_CHANGED);
        l.advance = r.advance = ADVANCE;
      }
      if (ret) return ret;
    } else if (l.level == r.level) {
      if (l.key < r.key) {
        l.advance = ADVANCE;
      } else if (r.key < l.key) {
        r.advance = ADVANCE;
      } else {
        const btrfs_key_ptr lp = slot_ptr(sctx, l, l.level), rp = slot_ptr(sctx, r, r.level);
        // Same block at the same generation: a shared subtree, do not go deeper.
        const bool shared = lp.blockptr && lp.blockptr == rp.blockptr && lp.generation == rp.generation;
        l.advance = r.advance = shared ? ADVANCE_ONLY_NEXT : ADVANCE;
      }
    } else if (l.level < r.level) {
      r.advance = ADVANCE;
    } else {
      l.advance = ADVANCE;
    }
  }
}

}  // namespace

int btrfs_compare_trees(send_ctx& sctx) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  FSRACE_MODEL_CHECK(sctx.parent_root, "btrfs_compare_trees without a parent root");
  tree_cursor left(sctx.send_root), right(*sctx.parent_root);
  sched::point(sched::L("btrfs_compare_trees(send root {}, parent root {})", sctx.send_root.objectid,
                        sctx.parent_root->objectid));
  fs_info.commit_root_sem.down_read();
  int ret = init_cursor(sctx, left);
  if (!ret) ret = init_cursor(sctx, right);
  if (sctx.cloned_buffers) {
    sctx.last_reloc_trans = fs_info.last_reloc_trans;
    if (!ret) ret = compare_loop(sctx, left, right);
    fs_info.commit_root_sem.up_read();
    return ret;
  }
  fs_info.commit_root_sem.up_read();
  if (!ret) ret = compare_loop(sctx, left, right);
  return ret;
}

}  // namespace fsrace::model
