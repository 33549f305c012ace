#include "model/ctree.hpp"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/leaf_used_bytes.hpp"
#include "model/transaction_abort.hpp"
#include "model/tree_footprints.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

sched::Footprint tree_read_claim() {
  return sched::declared().touch_kind(sched::ObjectKind::Tree, false).touch_kind(sched::ObjectKind::Bytenr, false);
}

sched::Footprint tree_fill_claim() {
  return sched::declared()
      .touch_kind(sched::ObjectKind::Tree)  // buffer_radix.put
      .touch_kind(sched::ObjectKind::Bytenr)
      .reads_from(fp::chunk_map())  // btrfs_num_copies, btrfs_map_block
      .reads_from(fp::replace())    // btrfs_map_block: dev_replace's state (its rwsem is its own object)
      .touch_kind(sched::ObjectKind::Device, false);
}

sched::Footprint tree_write_claim() {
  sched::Footprint f = tree_fill_claim();  // writer_block's reads go through read_tree_block (own scope)
  return f.touch_kind(sched::ObjectKind::BlockGroup)  // find_free_extent, btrfs_free_reserved_extent, bg->ro
      .writes_to(fp::space_info())                   // bytes_reserved, chunk_block_rsv (chunk tree)
      .writes_to(fp::delayed_refs())                 // add_delayed_tree/data_ref, check_ref_cleanup
      .writes_to(fp::transaction())                  // dirty_tree_blocks, the running transaction's refs
      .writes_to(fp::btree_inode());                 // the extent buffers' pages
}

namespace {

tree_block_ptr cached(btrfs_fs_info& fs_info, uint64_t bytenr) {
  const tree_block_ptr* p = fs_info.buffer_radix.find(bytenr);
  return p ? *p : nullptr;
}

// Mutable access to a block the running transaction owns (generation == transid). The first write
// after a clone copies the block, so the frozen base is never modified.
tree_block& mut_block(btrfs_fs_info& fs_info, uint64_t bytenr) {
  tree_block_ptr* p = fs_info.buffer_radix.find_mut(bytenr);
  FSRACE_MODEL_CHECK(p && *p, "tree block {} not in the buffer cache", bytenr);
  if (p->use_count() > 1) *p = std::make_shared<tree_block>(**p);
  return const_cast<tree_block&>(**p);
}

// Whether a < b in key order (objectid, type, offset): btrfs_key's operator< without the ordering object.
inline bool key_less(const btrfs_key& a, const btrfs_key& b) {
  if (a.objectid != b.objectid) return a.objectid < b.objectid;
  if (a.type != b.type) return a.type < b.type;
  return a.offset < b.offset;
}

// The first of n entries whose key (key_of) is not below `key`.
template <class T, class KeyOf>
int lower_slot(const T* v, int n, const btrfs_key& key, KeyOf key_of) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (key_less(key_of(v[mid]), key)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Slot of `key` in the block: exact match -> 0 and its slot; else 1 and the first slot above it.
// (One search over the leaf's items or the node's pointers, chosen once instead of per probe.)
int bin_search(const tree_block& b, const btrfs_key& key, int* slot) {
  const int n = int(b.nritems());
  const int lo = b.is_leaf() ? lower_slot(b.items.data(), n, key, [](const btrfs_item& it) -> const btrfs_key& { return it.key; })
                             : lower_slot(b.ptrs.data(), n, key, [](const btrfs_key_ptr& p) -> const btrfs_key& { return p.key; });
  *slot = lo;
  return (lo < n && b.key_at(lo) == key) ? 0 : 1;
}

// The child slot of a node covering `key`: the last pointer whose key <= key (0 if none).
int node_slot(const tree_block& b, const btrfs_key& key) {
  int slot;
  if (bin_search(b, key, &slot) == 0) return slot;
  return slot > 0 ? slot - 1 : 0;
}

// fs_info.log for code inside a declared scope: the kernel log is shared state no object names yet,
// so the step that writes it is undeclared (dependent on every step).
void log_undeclared(btrfs_fs_info& fs_info, std::string line) {
  sched::FootprintScope undeclared(sched::Footprint{});
  fs_info.log(std::move(line));
}

bool in_readonly_block_group(btrfs_fs_info& fs_info, uint64_t bytenr) {
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, bytenr);
  return bg && bg->ro;
}

// should_cow_block: a block already COWed in this transaction is modified in place, unless the root
// was snapshotted in this transaction (BTRFS_ROOT_FORCE_COW: the block is shared with the snapshot)
// or it lies in a read-only block group (the model's stand-in for relocation's
// BTRFS_HEADER_FLAG_RELOC: the group is being emptied, its blocks must move out).
bool should_cow_block(btrfs_trans_handle& trans, const btrfs_root& root, const tree_block& b) {
  if (b.header.generation == trans.transid && !root.force_cow &&
      !in_readonly_block_group(*trans.fs_info, b.header.bytenr))
    return false;
  return true;
}

// __btrfs_mod_ref: a reference from `b` to every block or data extent it points at, by b's owner
// (full_backref false) or by b itself as the parent (full_backref true). Leaves of trees that are never
// shared point at no extent.
void btrfs_mod_ref(btrfs_trans_handle& trans, const btrfs_root& root, const tree_block& b, bool full_backref,
                   int action) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  if (!root.ref_cows && b.is_leaf()) return;
  const uint64_t ref_root = b.header.owner;
  const uint64_t parent = full_backref ? b.header.bytenr : 0;
  if (!b.is_leaf()) {
    for (const auto& p : b.ptrs)
      btrfs_add_delayed_tree_ref(trans, p.blockptr, fs_info.nodesize, b.header.level - 1, ref_root, parent, action,
                                 false);
    return;
  }
  for (const auto& it : b.items) {
    if (it.key.type != BTRFS_EXTENT_DATA_KEY) continue;
    const auto& fe = std::get<btrfs_file_extent_item>(it.value);
    if (fe.type == BTRFS_FILE_EXTENT_INLINE || fe.disk_bytenr == 0) continue;
    btrfs_add_delayed_data_ref(trans, fe.disk_bytenr, fe.disk_num_bytes, ref_root, it.key.objectid,
                               it.key.offset - fe.offset, parent, action, false);
  }
}

// btrfs_block_can_be_shared: a block of a subvolume tree written up to its last snapshot, other than
// the root node and the commit root, may be referenced by a snapshot too.
bool btrfs_block_can_be_shared(const btrfs_root& root, const tree_block& b) {
  return root.ref_cows && b.header.bytenr != root.node && b.header.bytenr != root.commit_root &&
         b.header.generation <= root.root_item.last_snapshot;
}

// update_ref_for_cow (no relocation trees in the model). A shared block COWed by its owner hands its
// children to full back references (the old block, still used by the snapshot, references them as
// their parent) and keeps the owner's references for the copy; COWed by another root, the copy takes
// references of its own. An unshared block with full back references moves them to the copy. Returns
// last_ref: nobody else uses the old block.
bool update_ref_for_cow(btrfs_trans_handle& trans, btrfs_root& root, const tree_block& buf, const tree_block& cow) {
  uint64_t refs = 1, flags = 0;
  if (btrfs_block_can_be_shared(root, buf)) {
    btrfs_lookup_extent_info(trans, buf.header.bytenr, false, &refs, &flags);
    FSRACE_ABORT_TRANSACTION_IF(refs == 0, -EROFS, "update_ref_for_cow: tree block {} of root {} has no references",
                                buf.header.bytenr, root.objectid);
  }
  if (refs > 1) {
    if (buf.header.owner == root.objectid && !(flags & BTRFS_BLOCK_FLAG_FULL_BACKREF)) {
      btrfs_mod_ref(trans, root, buf, true, +1);
      btrfs_set_disk_extent_flags(trans, buf.header.bytenr, trans.fs_info->nodesize, buf.header.level,
                                  BTRFS_BLOCK_FLAG_FULL_BACKREF);
    } else {
      btrfs_mod_ref(trans, root, cow, false, +1);
    }
    return false;
  }
  if (flags & BTRFS_BLOCK_FLAG_FULL_BACKREF) {
    btrfs_mod_ref(trans, root, cow, false, +1);
    btrfs_mod_ref(trans, root, buf, true, -1);
  }
  return true;
}

// btrfs_cow_block: copies `bytenr` to a new block owned by root and links it into the parent (or
// makes it the root node). Returns the new bytenr.
uint64_t cow_block(btrfs_trans_handle& trans, btrfs_root& root, uint64_t parent, int parent_slot, uint64_t bytenr) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  tree_block_ptr old = cached(fs_info, bytenr);
  FSRACE_MODEL_CHECK(old, "COW of uncached tree block {}", bytenr);
  const int level = old->header.level;
  const uint64_t nb = btrfs_alloc_tree_block(trans, root, level);
  auto copy = std::make_shared<tree_block>(*old);
  copy->header.bytenr = nb;
  copy->header.generation = trans.transid;
  copy->header.owner = root.objectid;
  copy->header.csum = 0;
  fs_info.buffer_radix.put(nb, copy);
  const bool last_ref = update_ref_for_cow(trans, root, *old, *copy);
  btrfs_free_tree_block(trans, root, bytenr, level, last_ref);
  if (parent) {
    tree_block& p = mut_block(fs_info, parent);
    p.ptrs[parent_slot].blockptr = nb;
    p.ptrs[parent_slot].generation = trans.transid;
  } else {
    root.node = nb;
    root.level = uint8_t(level);
  }
  root.dirty = true;
  root.last_trans = trans.transid;
  return nb;
}

// Reads a block of the current tree for a writer: cached, or read from disk (verified).
tree_block_ptr writer_block(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t gen, int level) {
  if (tree_block_ptr b = cached(fs_info, bytenr)) return b;
  int err = 0;
  tree_block_ptr b = read_tree_block(fs_info, bytenr, gen, level, &err);
  FSRACE_BUG_ON(!b, "current tree block {} unreadable: {}", bytenr, err);
  return b;
}

struct split_result {
  bool split = false;
  btrfs_key key;
  uint64_t bytenr = 0;
};

// Splits an overfull block in two halves (split_leaf by bytes, split_node by pointers); the right
// half goes to a new block whose first key the parent must link.
split_result split_block(btrfs_trans_handle& trans, btrfs_root& root, uint64_t bytenr) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const int level = mut_block(fs_info, bytenr).header.level;
  const uint64_t rb = btrfs_alloc_tree_block(trans, root, level);
  tree_block& b = mut_block(fs_info, bytenr);  // re-fetch: allocation may have touched the cache
  auto right = std::make_shared<tree_block>();
  right->header = {rb, trans.transid, root.objectid, uint8_t(level), 0};
  if (b.is_leaf()) {
    const uint32_t total = b.leaf_used_bytes();
    uint32_t acc = 0;
    size_t mid = 0;
    while (mid < b.items.size() && acc + BTRFS_ITEM_SIZE + item_size(b.items[mid].value) <= total / 2) {
      acc += BTRFS_ITEM_SIZE + item_size(b.items[mid].value);
      ++mid;
    }
    mid = std::clamp<size_t>(mid, 1, b.items.size() - 1);
    right->items.assign(b.items.begin() + mid, b.items.end());
    b.items.resize(mid);
  } else {
    size_t mid = b.ptrs.size() / 2;
    right->ptrs.assign(b.ptrs.begin() + mid, b.ptrs.end());
    b.ptrs.resize(mid);
  }
  split_result r{true, right->key_at(0), rb};
  fs_info.buffer_radix.put(rb, std::move(right));
  return r;
}

bool overfull(btrfs_fs_info& fs_info, const tree_block& b) {
  if (b.is_leaf()) return b.items.size() > 1 && b.leaf_used_bytes() > leaf_data_size(fs_info.nodesize);
  return b.ptrs.size() > node_max_ptrs(fs_info.nodesize);
}

// Descends from the (already COWed) block `bytenr`, COWing children on the way, and applies `op` to
// the leaf. Keeps parent keys in sync and propagates splits upward.
template <class LeafOp>
int modify_rec(btrfs_trans_handle& trans, btrfs_root& root, uint64_t bytenr, const btrfs_key& key, LeafOp& op,
               split_result* out, int lowest_level, std::vector<extent_buffer_ptr>& path_refs) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // path->lowest_level: a COW search stops at the level it was asked for (nothing below is touched).
  if (lowest_level > 0 && cached(fs_info, bytenr)->header.level <= lowest_level) return 0;
  if (mut_block(fs_info, bytenr).is_leaf()) {
    int ret = op(mut_block(fs_info, bytenr));
    if (ret == 0 && overfull(fs_info, mut_block(fs_info, bytenr))) *out = split_block(trans, root, bytenr);
    return ret;
  }
  const tree_block& node = mut_block(fs_info, bytenr);
  const int slot = node_slot(node, key);
  uint64_t child = node.ptrs[slot].blockptr;
  bool cow;
  {
    // Hold no extra reference while descending: mut_block copies blocks that are shared.
    tree_block_ptr cb = writer_block(fs_info, child, node.ptrs[slot].generation, node.header.level - 1);
    cow = should_cow_block(trans, root, *cb);
  }
  if (cow) child = cow_block(trans, root, bytenr, slot, child);
  split_result sub;
  int ret = modify_rec(trans, root, child, key, op, &sub, lowest_level, path_refs);
  if (ret != 0) return ret;
  tree_block& n = mut_block(fs_info, bytenr);
  const tree_block& c = *cached(fs_info, child);
  if (c.nritems() == 0) {
    // An emptied child is unlinked and freed (btrfs_del_items: btrfs_clean_tree_block, btrfs_del_leaf:
    // del_ptr, atomic_inc(&leaf->refs), btrfs_free_tree_block, free_extent_buffer_stale); the path's
    // reference goes at btrfs_release_path, after the tree lock (modify_tree). A node emptied by
    // del_ptr is freed the same way (balance_level).
    const int level = c.header.level;
    extent_buffer_ptr eb = btrfs_path_extent_buffer(fs_info, child);
    if (eb) btrfs_clean_tree_block(fs_info, *eb);
    n.ptrs.erase(n.ptrs.begin() + slot);
    if (eb) ++eb->refs;
    btrfs_free_tree_block(trans, root, child, level, true);
    if (eb) {
      free_extent_buffer_stale(fs_info, eb);
      path_refs.push_back(std::move(eb));
    }
    return 0;
  }
  n.ptrs[slot].key = c.key_at(0);
  if (sub.split) n.ptrs.insert(n.ptrs.begin() + slot + 1, btrfs_key_ptr{sub.key, sub.bytenr, trans.transid});
  if (overfull(fs_info, n)) *out = split_block(trans, root, bytenr);
  return 0;
}

template <class LeafOp>
int modify_tree(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, LeafOp op, const char* what,
                int lowest_level = 0) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // Complete: tree_write_claim lists what the COW descent, allocation (btrfs_alloc_tree_block ->
  // btrfs_reserve_extent, own scope), reference updates (update_ref_for_cow, btrfs_mod_ref, delayed_ref.cpp),
  // frees (btrfs_free_tree_block) and path release (free_extent_buffer) touch; the leaf ops only edit the
  // leaf, except btrfs_update_item_at_leaf's value(), which runs undeclared.
  sched::FootprintScope scope(tree_write_claim());
  // The step up to down_write's own point only builds its label: it touches nothing (footprint.hpp).
  sched::point(sched::L(what, root.objectid, key.objectid), sched::declared());
  root.lock.down_write();
  const bool cow = should_cow_block(trans, root, *writer_block(fs_info, root.node, 0, root.level));
  uint64_t top = root.node;
  if (cow) top = cow_block(trans, root, 0, 0, root.node);
  split_result sp;
  std::vector<extent_buffer_ptr> path_refs;  // buffers the path still references (btrfs_release_path)
  int ret = modify_rec(trans, root, top, key, op, &sp, lowest_level, path_refs);
  if (ret == 0 && sp.split) {
    // insert_new_root: the tree grows by one level.
    const int level = cached(fs_info, top)->header.level + 1;
    const uint64_t nr = btrfs_alloc_tree_block(trans, root, level);
    auto n = std::make_shared<tree_block>();
    n->header = {nr, trans.transid, root.objectid, uint8_t(level), 0};
    n->ptrs.push_back({cached(fs_info, top)->key_at(0), top, trans.transid});
    n->ptrs.push_back({sp.key, sp.bytenr, trans.transid});
    fs_info.buffer_radix.put(nr, std::move(n));
    root.node = nr;
    root.level = uint8_t(level);
  }
  // A node root left with one pointer is replaced by its child (balance_level).
  while (ret == 0) {
    tree_block_ptr r = cached(fs_info, root.node);
    if (r->is_leaf() || r->ptrs.size() != 1) break;
    const uint64_t child = r->ptrs[0].blockptr;
    btrfs_free_tree_block(trans, root, root.node, r->header.level, true);
    root.node = child;
    root.level = uint8_t(r->header.level - 1);
  }
  root.dirty = true;
  root.last_trans = trans.transid;
  root.lock.up_write();
  for (const auto& eb : path_refs) free_extent_buffer(fs_info, eb);  // btrfs_release_path
  return ret;
}

}  // namespace

const tree_block* btrfs_path_block(btrfs_fs_info& fs_info, const btrfs_path& path, int level) {
  tree_block_ptr b = cached(fs_info, path.nodes[level]);
  return b.get();  // the cache keeps it alive
}

tree_block_ptr read_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t parent_transid, int level, int* err) {
  // Complete: a cache lookup (tree_read_claim); a miss reads mirrors and fills the cache (tree_fill_claim);
  // messages to the kernel log run undeclared.
  sched::FootprintScope scope(tree_read_claim());
  *err = 0;
  tree_block_ptr b = cached(fs_info, bytenr);
  if (!b) {
    sched::FootprintScope fill(tree_fill_claim());
    // btree_read_extent_buffer_pages: try each mirror until one verifies.
    const int copies = btrfs_num_copies(fs_info, bytenr);
    for (int mirror = 1; mirror <= copies && !b; ++mirror) {
      std::vector<btrfs_bio_stripe> stripes;
      if (btrfs_map_block(fs_info, map_op::read, bytenr, fs_info.nodesize, mirror, stripes) != 0) continue;
      btrfs_device* dev = fs_info.device(stripes[0].devid);
      tree_block_ptr d;
      if (dev) {  // the mirror's contents: the MiB it reads (the device's state: tree_fill_claim)
        sched::Footprint contents = sched::declared();
        sched::FootprintScope read(fp::touch_device_data(contents, dev->devid, stripes[0].physical, fs_info.nodesize, false));
        d = dev->bdev.read_tree_block(stripes[0].physical);
      }
      if (!d || d->header.bytenr != bytenr) {
        log_undeclared(fs_info, fmt::format("BTRFS error: bad tree block start, want {} have {}", bytenr, d ? d->header.bytenr : 0));
        continue;
      }
      if (d->header.csum != d->content_csum()) {
        log_undeclared(fs_info, fmt::format("BTRFS warning: checksum verify failed on {} mirror {}", bytenr, mirror));
        continue;
      }
      b = d;
    }
    if (!b) {
      *err = -EIO;
      return nullptr;
    }
    fs_info.buffer_radix.put(bytenr, b);
  }
  if (b->header.bytenr != bytenr) {
    log_undeclared(fs_info, fmt::format("BTRFS error: bad tree block start, want {} have {}", bytenr, b->header.bytenr));
    *err = -EIO;
    return nullptr;
  }
  if (parent_transid && b->header.generation != parent_transid) {
    log_undeclared(fs_info, fmt::format("BTRFS error: parent transid verify failed on {} wanted {} found {}", bytenr,
                            parent_transid, b->header.generation));
    *err = -EIO;
    return nullptr;
  }
  if (level >= 0 && b->header.level != level) {
    log_undeclared(fs_info, fmt::format("BTRFS error: level verify failed on logical {} wanted {} found {}", bytenr, level,
                            b->header.level));
    *err = -EIO;
    return nullptr;
  }
  return b;
}

int btrfs_search_slot(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& key, btrfs_path& path) {
  // Complete: reads the root's pointers and cached blocks (tree_read_claim); read_tree_block has its own
  // scope for a miss; the path is the caller's.
  sched::FootprintScope scope(tree_read_claim());
  const bool commit = path.search_commit_root;
  path.release();
  uint64_t bytenr = commit ? root.commit_root : root.node;
  uint64_t gen = commit ? root.commit_root_gen : 0;
  int level = commit ? root.commit_root_level : root.level;
  path.top_level = level;
  for (int depth = 0; depth < BTRFS_MAX_LEVEL; ++depth) {
    if (commit) sched::point(sched::L("read_tree_block({}) of commit root {}", bytenr, root.objectid));
    int err = 0;
    tree_block_ptr b = read_tree_block(fs_info, bytenr, gen, level, &err);
    if (!b) return err;
    path.nodes[level] = bytenr;
    path.gens[level] = gen;
    if (b->is_leaf()) {
      int slot;
      int ret = bin_search(*b, key, &slot);
      path.slots[0] = slot;
      return ret;
    }
    const int slot = node_slot(*b, key);
    path.slots[level] = slot;
    gen = b->ptrs[slot].generation;
    bytenr = b->ptrs[slot].blockptr;
    --level;
  }
  FSRACE_MODEL_CHECK(false, "btrfs_search_slot: tree deeper than BTRFS_MAX_LEVEL in root {}", root.objectid);
  return -EUCLEAN;
}

tree_block_ptr read_node_slot(btrfs_fs_info& fs_info, btrfs_path& path, int level, int slot, int* err) {
  // Complete: reads the root's pointers and cached blocks (tree_read_claim); read_tree_block has its own
  // scope for a miss; the path is the caller's.
  sched::FootprintScope scope(tree_read_claim());
  tree_block_ptr parent = cached(fs_info, path.nodes[level]);
  FSRACE_MODEL_CHECK(parent, "read_node_slot: block {} vanished from the buffer cache", path.nodes[level]);
  if (slot < 0 || slot >= int(parent->nritems())) {
    *err = -ENOENT;
    return nullptr;
  }
  FSRACE_BUG_ON(parent->header.level == 0, "kernel BUG at fs/btrfs/ctree.c read_node_slot: BUG_ON(level == 0) on "
                "block {} (expected a level {} node; the block was reused as a leaf)", path.nodes[level], level);
  const auto& p = parent->ptrs[slot];
  if (path.search_commit_root) sched::point(sched::L("read_node_slot({}, slot {})", path.nodes[level], uint64_t(slot)));
  return read_tree_block(fs_info, p.blockptr, p.generation, parent->header.level - 1, err);
}

int btrfs_next_leaf(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path, bool yield_unlocked) {
  // Complete: reads the root's pointers and cached blocks (tree_read_claim); read_tree_block has its own
  // scope for a miss; the path is the caller's.
  sched::FootprintScope scope(tree_read_claim());
  tree_block_ptr leaf = cached(fs_info, path.nodes[0]);
  if (!leaf || !leaf->is_leaf()) return -EIO;
  if (leaf->nritems() == 0) return 1;
  const btrfs_key last = leaf->key_at(leaf->nritems() - 1);
  if (yield_unlocked) sched::point(sched::L("btrfs_next_leaf: btrfs_release_path, search again from objectid {} offset {}",
                                            last.objectid, last.offset));
  int ret = btrfs_search_slot(fs_info, root, last, path);
  if (ret < 0) return ret;
  // With the path released, writers may have added items after the last key to the leaf the search
  // lands in: the next item is there, not in the next leaf (the kernel's "check again here").
  if (yield_unlocked) {
    tree_block_ptr now = cached(fs_info, path.nodes[0]);
    const int nritems = int(now->nritems());
    if (ret == 0 && path.slots[0] + 1 < nritems) {
      path.slots[0]++;
      return 0;
    }
    if (ret > 0 && path.slots[0] < nritems) return 0;
  }
  // Walk up to the first ancestor with a right sibling, then down its leftmost path.
  for (int level = 1; level <= path.top_level; ++level) {
    tree_block_ptr node = cached(fs_info, path.nodes[level]);
    if (path.slots[level] + 1 >= int(node->nritems())) continue;
    int slot = ++path.slots[level];
    for (int l = level; l > 0; --l) {
      int err = 0;
      tree_block_ptr child = read_node_slot(fs_info, path, l, slot, &err);
      if (!child) return err;
      path.nodes[l - 1] = child->header.bytenr;
      path.gens[l - 1] = child->header.generation;
      path.slots[l - 1] = 0;
      slot = 0;
    }
    return 0;
  }
  return 1;
}

int btrfs_next_item(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path) {
  // Complete: reads the root's pointers and cached blocks (tree_read_claim); read_tree_block has its own
  // scope for a miss; the path is the caller's.
  sched::FootprintScope scope(tree_read_claim());
  tree_block_ptr leaf = cached(fs_info, path.nodes[0]);
  if (!leaf) return -EIO;
  if (++path.slots[0] < int(leaf->nritems())) return 0;
  return btrfs_next_leaf(fs_info, root, path);
}

const btrfs_item& btrfs_path_item(btrfs_fs_info& fs_info, const btrfs_path& path) {
  tree_block_ptr leaf = cached(fs_info, path.nodes[0]);
  FSRACE_MODEL_CHECK(leaf && leaf->is_leaf() && path.slots[0] < int(leaf->nritems()), "path points past its leaf");
  return leaf->items[path.slots[0]];
}

int btrfs_insert_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, item_value value) {
  return modify_tree(trans, root, key, [&](tree_block& leaf) {
    int slot;
    if (bin_search(leaf, key, &slot) == 0) return -EEXIST;
    const uint32_t used = leaf.leaf_used_bytes() + BTRFS_ITEM_SIZE + item_size_inline(value);
    leaf.items.insert(leaf.items.begin() + slot, btrfs_item{key, std::move(value)});
    note_leaf_used_bytes(leaf, used);  // overfull's sum, without a pass over the items
    return 0;
  }, "btrfs_insert_item(root {}, objectid {})");
}

int btrfs_update_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, item_value value) {
  return modify_tree(trans, root, key, [&](tree_block& leaf) {
    int slot;
    if (bin_search(leaf, key, &slot) != 0) return -ENOENT;
    const uint32_t used = leaf.leaf_used_bytes() - item_size_inline(leaf.items.view()[slot].value) + item_size_inline(value);
    leaf.items[slot].value = std::move(value);
    note_leaf_used_bytes(leaf, used);
    return 0;
  }, "btrfs_update_item(root {}, objectid {})");
}

int btrfs_update_item_at_leaf(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key,
                              const std::function<item_value()>& value) {
  return modify_tree(trans, root, key, [&](tree_block& leaf) {
    int slot;
    if (bin_search(leaf, key, &slot) != 0) return -ENOENT;
    // The caller's value() reads live state this function cannot name: it runs inside modify_tree's
    // scope, so a value() that reads anything tree_write_claim does not cover opens its own scope
    // (btrfs_update_inode: the inode's core; btrfs_update_device: the devices).
    item_value v = value();
    const uint32_t used = leaf.leaf_used_bytes() - item_size_inline(leaf.items.view()[slot].value) + item_size_inline(v);
    leaf.items[slot].value = std::move(v);
    note_leaf_used_bytes(leaf, used);
    return 0;
  }, "btrfs_update_item(root {}, objectid {})");
}

int btrfs_delete_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key) {
  return modify_tree(trans, root, key, [&](tree_block& leaf) {
    int slot;
    if (bin_search(leaf, key, &slot) != 0) return -ENOENT;
    const uint32_t used = leaf.leaf_used_bytes() - BTRFS_ITEM_SIZE - item_size_inline(leaf.items.view()[slot].value);
    leaf.items.erase(leaf.items.begin() + slot);
    note_leaf_used_bytes(leaf, used);
    return 0;
  }, "btrfs_del_item(root {}, objectid {})");
}

int btrfs_cow_search(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, int lowest_level) {
  bool found = false;
  const int ret = modify_tree(trans, root, key, [&](tree_block& leaf) {
    int slot;
    found = bin_search(leaf, key, &slot) == 0;
    return 0;
  }, "btrfs_search_slot(cow, root {}, objectid {})", lowest_level);
  return ret ? ret : (found ? 0 : 1);
}

int btrfs_lookup_item(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& key, item_value* out) {
  // Complete: reads the root's pointers and cached blocks (tree_read_claim); read_tree_block has its own
  // scope for a miss; the path is the caller's.
  sched::FootprintScope scope(tree_read_claim());
  btrfs_path path;
  int ret = btrfs_search_slot(fs_info, root, key, path);
  if (ret != 0) return ret < 0 ? ret : -ENOENT;
  if (out) *out = btrfs_path_item(fs_info, path).value;
  return 0;
}

namespace {
// The leaves from `from` on, in key order: leaf(block, first slot at or after `from`).
template <class Leaf>
bool for_each_rec(btrfs_fs_info& fs_info, uint64_t bytenr, int level, const btrfs_key& from, Leaf&& leaf) {
  tree_block_ptr b = writer_block(fs_info, bytenr, 0, level);
  if (b->is_leaf()) {
    int slot;
    bin_search(*b, from, &slot);
    return leaf(b, slot);
  }
  for (size_t i = node_slot(*b, from); i < b->ptrs.size(); ++i)
    if (!for_each_rec(fs_info, b->ptrs[i].blockptr, level - 1, from, leaf)) return false;
  return true;
}
}  // namespace

void btrfs_for_each_item(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& from,
                         const std::function<bool(const btrfs_item&)>& fn) {
  for_each_rec(fs_info, root.node, root.level, from, [&fn](const tree_block_ptr& b, int slot) {
    for (size_t i = slot; i < b->items.size(); ++i)
      if (!fn(b->items[i])) return false;
    return true;
  });
}

void btrfs_for_each_leaf(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& from,
                         const std::function<bool(const tree_block_ptr&, int)>& fn) {
  for_each_rec(fs_info, root.node, root.level, from, fn);
}

uint64_t btrfs_alloc_tree_block(btrfs_trans_handle& trans, btrfs_root& root, int level) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const bool chunk_tree = root.objectid == BTRFS_CHUNK_TREE_OBJECTID;
  const uint64_t type = chunk_tree ? BTRFS_BLOCK_GROUP_SYSTEM : BTRFS_BLOCK_GROUP_METADATA;
  // btrfs_use_block_rsv: the chunk root's block reserve is chunk_block_rsv (other reserves not modelled).
  if (chunk_tree) {
    const int rsv = btrfs_use_block_rsv(fs_info, fs_info.chunk_block_rsv, fs_info.nodesize);
    FSRACE_BUG_ON(rsv != 0, "btrfs_alloc_tree_block: no system space reserved or reservable for the chunk tree ({})", rsv);
  }
  btrfs_key_ins ins;
  int ret = btrfs_reserve_extent(fs_info, type, fs_info.nodesize, ins, false, &trans);
  FSRACE_BUG_ON(ret != 0, "btrfs_alloc_tree_block: no metadata space for root {} ({})", root.objectid, ret);
  // btrfs_init_new_buffer: a buffer still cached for this bytenr (a block freed and given back at once,
  // or one read before it was freed) is taken, cleaned, un-STALEd and dirtied; the caller's path holds
  // it until it is released (here at once: the model's paths hold bytenrs). Then, as its last step,
  // the block's range in the transaction's dirty_pages.
  int err = 0;
  extent_buffer_ptr buf = btrfs_init_new_buffer(fs_info, ins.objectid, &err);
  FSRACE_BUG_ON(err != 0, "btrfs_init_new_buffer({}): {}", ins.objectid, err);
  fs_info.dirty_tree_blocks[ins.objectid] = level;
  if (buf) free_extent_buffer(fs_info, buf);
  btrfs_add_delayed_tree_ref(trans, ins.objectid, fs_info.nodesize, level, root.objectid, 0, +1, true);
  return ins.objectid;
}

void btrfs_free_tree_block(btrfs_trans_handle& trans, btrfs_root& root, uint64_t bytenr, int level, bool last_ref) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // No log tree in the model: the drop is always queued.
  btrfs_add_delayed_tree_ref(trans, bytenr, fs_info.nodesize, level, root.objectid, 0, -1, false);
  if (!last_ref) return;  // a snapshot still uses it: it stays on the dirty list
  // A block of the transaction still committing (the next one may COW it once the commit is
  // unblocked) stays on the dirty list: that commit writes it.
  const tree_block_ptr* b = fs_info.buffer_radix.find(bytenr);
  if (!b || (*b)->header.generation != trans.transid) return;
  // The callers' btrfs_clean_tree_block (update_ref_for_cow, btrfs_del_items, balance_level): never
  // written if it lived only in this transaction.
  fs_info.dirty_tree_blocks.erase(bytenr);
  extent_buffer_ptr buf = cached_extent_buffer(fs_info, bytenr);
  if (buf && buf->refs > 0) btrfs_clean_tree_block(fs_info, *buf);
  // Its addition still pending and now cancelled: the head goes and the block is reused at once.
  // Otherwise (btrfs_redirty_list_add is zoned only) the drop runs with the delayed refs and pins it.
  if (!check_ref_cleanup(trans, bytenr)) return;
  block_group_ptr cache = btrfs_lookup_block_group(fs_info, bytenr);
  FSRACE_MODEL_CHECK(cache, "btrfs_free_tree_block: no block group for {}", bytenr);
  // BTRFS_HEADER_FLAG_WRITTEN: the model writes a transaction's blocks only after its last tree change
  // (the commit unblocked), so a block of the running transaction is never written: no pin_down_extent.
  // BTRFS_FS_TREE_MOD_LOG_USERS (must_pin) is never set: no qgroups, no LOGICAL_INO; no zoned mode.
  FSRACE_WARN_ON(buf && buf->refs > 0 && buf->test_bit(EXTENT_BUFFER_DIRTY),
                 "btrfs_free_tree_block: tree block {} freed with a dirty extent buffer", bytenr);
  // btrfs_add_free_space, btrfs_free_reserved_bytes (one step: no lock-free reader between).
  btrfs_free_reserved_extent(fs_info, bytenr, fs_info.nodesize);
}

btrfs_root& btrfs_create_tree(btrfs_trans_handle& trans, uint64_t objectid) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  auto root = std::make_shared<btrfs_root>();
  root->objectid = objectid;
  root->lock.set_instance(objectid);  // DPOR footprints: this root's lock, not every root's
  root->ref_cows = objectid == BTRFS_FS_TREE_OBJECTID ||
                   (objectid >= BTRFS_FIRST_FREE_OBJECTID && objectid <= BTRFS_LAST_FREE_OBJECTID);
  fs_info.roots[objectid] = root;
  const uint64_t bytenr = btrfs_alloc_tree_block(trans, *root, 0);
  auto leaf = std::make_shared<tree_block>();
  leaf->header = {bytenr, trans.transid, objectid, 0, 0};
  fs_info.buffer_radix.put(bytenr, std::move(leaf));
  root->node = bytenr;
  root->commit_root = bytenr;
  root->commit_root_gen = trans.transid;
  root->dirty = true;
  root->last_trans = trans.transid;
  root->root_item.bytenr = bytenr;
  root->root_item.generation = trans.transid;
  return *root;
}

void btrfs_cow_root_node(btrfs_trans_handle& trans, btrfs_root& root) {
  if (should_cow_block(trans, root, *writer_block(*trans.fs_info, root.node, 0, root.level)))
    cow_block(trans, root, 0, 0, root.node);
}

uint64_t btrfs_copy_root(btrfs_trans_handle& trans, btrfs_root& root, uint64_t new_root_objectid) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  tree_block_ptr old = writer_block(fs_info, root.node, 0, root.level);
  btrfs_root tmp;
  tmp.objectid = new_root_objectid;
  const uint64_t nb = btrfs_alloc_tree_block(trans, tmp, old->header.level);
  auto copy = std::make_shared<tree_block>(*old);
  copy->header = {nb, trans.transid, new_root_objectid, old->header.level, 0};
  btrfs_mod_ref(trans, root, *copy, false, +1);  // by the copy's owner: the new root
  fs_info.buffer_radix.put(nb, std::move(copy));
  return nb;
}

}  // namespace fsrace::model
