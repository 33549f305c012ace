#include "model/delayed_ref.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "model/ctree.hpp"
#include "model/data/file_item.hpp"
#include "model/footprints.hpp"
#include "model/tree_footprints.hpp"
#include "model/fs_info.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

btrfs_delayed_ref_head& head_for(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, bool is_data,
                                 int level) {
  FSRACE_MODEL_CHECK(trans.transaction, "delayed ref without a transaction");
  auto& head = trans.transaction->delayed_refs.heads[bytenr];
  if (head.refs.empty() && head.ref_mod == 0 && !head.must_insert_reserved && head.flags_to_set == 0) {
    head.bytenr = bytenr;
    head.num_bytes = num_bytes;
    head.is_data = is_data;
    head.level = level;
  }
  FSRACE_BUG_ON(head.is_data != is_data, "update_existing_head_ref: delayed ref head {} data {} updated as data {}",
                bytenr, head.is_data, is_data);
  FSRACE_MODEL_CHECK(head.num_bytes == num_bytes, "delayed ref head {} of {} bytes updated with {}", bytenr,
                     head.num_bytes, num_bytes);
  return head;
}

void add_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, bool is_data, int level,
             btrfs_delayed_ref_node node, bool new_extent) {
  // Complete: the running transaction's delayed ref heads and refs only.
  sched::FootprintScope scope(sched::declared().writes_to(fp::delayed_refs()));
  auto& head = head_for(trans, bytenr, num_bytes, is_data, level);
  head.ref_mod += node.action;
  head.must_insert_reserved |= new_extent;
  // insert_delayed_ref: a tree ref of the same key (comp_tree_refs: root, or parent for a shared one)
  // and the opposite action merges with it; a node whose ref_mod reaches 0 is dropped. Nodes here are
  // of one unit each, so the merge removes one opposite node. Data refs are not merged (the kernel
  // merges them too; the model keeps each, which applies the same net change when run).
  if (!is_data) {
    auto same = std::find_if(head.refs.begin(), head.refs.end(), [&](const btrfs_delayed_ref_node& n) {
      return n.action == -node.action && n.root == node.root && n.parent == node.parent;
    });
    if (same != head.refs.end()) {
      head.refs.erase(same);
      return;
    }
  }
  head.refs.push_back(node);
}

btrfs_key extent_key(const btrfs_delayed_ref_head& h) {
  return h.is_data ? btrfs_key{h.bytenr, BTRFS_EXTENT_ITEM_KEY, h.num_bytes}
                   : btrfs_key{h.bytenr, BTRFS_METADATA_ITEM_KEY, uint64_t(h.level)};
}

// The back reference a delayed ref node adds or drops (its key in the head's ref tree).
btrfs_extent_inline_ref backref_of(const btrfs_delayed_ref_head& h, const btrfs_delayed_ref_node& n) {
  btrfs_extent_inline_ref r;
  if (h.is_data) {
    r.type = n.parent ? BTRFS_SHARED_DATA_REF_KEY : BTRFS_EXTENT_DATA_REF_KEY;
    if (!n.parent) {
      r.root = n.root;
      r.objectid = n.owner;
      r.offset = n.offset;
    }
  } else {
    r.type = n.parent ? BTRFS_SHARED_BLOCK_REF_KEY : BTRFS_TREE_BLOCK_REF_KEY;
    if (!n.parent) r.root = n.root;
  }
  r.parent = n.parent;
  r.count = 0;
  return r;
}

bool same_backref(const btrfs_extent_inline_ref& a, const btrfs_extent_inline_ref& b) {
  return a.type == b.type && a.root == b.root && a.objectid == b.objectid && a.offset == b.offset &&
         a.parent == b.parent;
}

// The head's nodes merged per back reference (insert_delayed_ref merges nodes of one key), additions
// first (select_delayed_ref), then each applied to the inline references as __btrfs_inc_extent_ref and
// __btrfs_free_extent do, with their errors.
void apply_inline_refs(btrfs_extent_item& ei, const btrfs_delayed_ref_head& h) {
  // The merged nodes and their net change (as a signed value), in per-thread buffers kept between
  // calls (emptied first: nothing else reads them).
  thread_local std::vector<btrfs_extent_inline_ref> mods;
  thread_local std::vector<int64_t> net;
  mods.clear();
  net.clear();
  for (const auto& n : h.refs) {
    const btrfs_extent_inline_ref r = backref_of(h, n);
    auto it = std::find_if(mods.begin(), mods.end(), [&](const auto& x) { return same_backref(x, r); });
    if (it == mods.end()) {
      mods.push_back(r);
      net.push_back(n.action);
    } else {
      net[size_t(it - mods.begin())] += n.action;
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < mods.size(); ++i) {
      const int64_t mod = net[i];
      if (mod == 0 || (pass == 0) != (mod > 0)) continue;
      const btrfs_extent_inline_ref& r = mods[i];
      // run_delayed_tree_ref: a tree block reference is added or dropped once.
      FSRACE_ABORT_TRANSACTION_IF(!h.is_data && (mod > 1 || mod < -1), -EIO,
                                  "run_delayed_tree_ref: btree block({}) has {} references rather than 1: parent {} "
                                  "root {}", h.bytenr, mod, r.parent, r.root);
      auto it = std::find_if(ei.inline_refs.begin(), ei.inline_refs.end(), [&](const auto& x) { return same_backref(x, r); });
      if (mod > 0) {
        FSRACE_ABORT_TRANSACTION_IF(!h.is_data && it != ei.inline_refs.end(), -EUCLEAN,
                                    "insert_inline_extent_backref: adding refs to an existing tree ref, bytenr {} "
                                    "parent {} root {}", h.bytenr, r.parent, r.root);
        if (it != ei.inline_refs.end()) {
          it->count += uint32_t(mod);
        } else {
          btrfs_extent_inline_ref add = r;
          add.count = uint32_t(mod);
          ei.inline_refs.push_back(add);
        }
        continue;
      }
      if (it == ei.inline_refs.end()) {
        FSRACE_WARN_ON(true, "__btrfs_free_extent: unable to find ref byte nr {} parent {} root {} owner {} offset {}",
                       h.bytenr, r.parent, r.root, r.objectid, r.offset);
        FSRACE_ABORT_TRANSACTION_IF(true, -ENOENT, "__btrfs_free_extent: back reference of {} not found", h.bytenr);
      }
      FSRACE_BUG_ON(int64_t(it->count) < -mod, "update_inline_extent_backref: extent {} reference count {} dropping {}",
                    h.bytenr, it->count, -mod);
      it->count -= uint32_t(-mod);
      if (it->count == 0) ei.inline_refs.erase(it);
    }
  }
  std::sort(ei.inline_refs.begin(), ei.inline_refs.end());
}

// __btrfs_run_delayed_refs for one head.
int run_one_head(btrfs_trans_handle& trans, const btrfs_delayed_ref_head& h) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  btrfs_root& extent_root = fs_info.extent_root();
  const btrfs_key key = extent_key(h);
  if (h.must_insert_reserved) {
    if (h.ref_mod <= 0) {
      // Allocated and released in the same transaction: never reaches the extent tree
      // (cleanup_ref_head pins it and drops the checksums its write inserted).
      btrfs_update_block_group(trans, h.bytenr, h.num_bytes, true);
      btrfs_update_block_group(trans, h.bytenr, h.num_bytes, false);
      return h.is_data ? btrfs_del_csums(trans, h.bytenr, h.num_bytes) : 0;
    }
    btrfs_extent_item ei;
    ei.refs = uint64_t(h.ref_mod);
    ei.generation = trans.transid;
    ei.flags = (h.is_data ? BTRFS_EXTENT_FLAG_DATA : BTRFS_EXTENT_FLAG_TREE_BLOCK) | h.flags_to_set;
    apply_inline_refs(ei, h);
    int ret = btrfs_insert_item(trans, extent_root, key, std::move(ei));
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "alloc_reserved_extent: insert of extent item {} failed: {}", h.bytenr, ret);
    btrfs_update_block_group(trans, h.bytenr, h.num_bytes, true);
    return 0;
  }
  if (h.ref_mod == 0 && h.refs.empty() && h.flags_to_set == 0) return 0;
  item_value v;
  int ret = btrfs_lookup_item(fs_info, extent_root, key, &v);
  // select_delayed_ref runs a head's additions first: __btrfs_inc_extent_ref ->
  // lookup_inline_extent_backref(insert) finds no extent item: WARN_ON, -EIO.
  const auto add = std::find_if(h.refs.begin(), h.refs.end(), [](const auto& n) { return n.action > 0; });
  if (ret != 0 && add != h.refs.end()) {
    fs_info.log(fmt::format("BTRFS error: extent item not found for insert, bytenr {} num_bytes {} parent 0 "
                            "root_objectid {} owner {} offset {}", h.bytenr, h.num_bytes, add->root, add->owner,
                            add->offset));
    FSRACE_WARN_ON(ret != 0, "lookup_inline_extent_backref: extent item {} not found for insert",
                   to_string(key));
    FSRACE_ABORT_TRANSACTION_IF(true, -EIO, "__btrfs_inc_extent_ref: extent item {} not found", to_string(key));
  }
  if (ret != 0) {
    fs_info.log(fmt::format("BTRFS error: unable to find ref byte nr {} parent 0 root {} owner {}", h.bytenr,
                            h.refs.empty() ? 0 : h.refs[0].root, h.refs.empty() ? 0 : h.refs[0].owner));
    FSRACE_WARN_ON(ret == -ENOENT, "__btrfs_free_extent: extent item {} not found", to_string(key));
    FSRACE_ABORT_TRANSACTION_IF(true, ret, "__btrfs_free_extent: lookup of extent item {}", to_string(key));
  }
  btrfs_extent_item ei = std::move(std::get<btrfs_extent_item>(v));  // v is not read again
  FSRACE_ABORT_TRANSACTION_IF(int64_t(ei.refs) + h.ref_mod < 0, -EUCLEAN, "extent {} refs {} dropping {}", h.bytenr, ei.refs, -h.ref_mod);
  ei.refs = uint64_t(int64_t(ei.refs) + h.ref_mod);
  ei.flags |= h.flags_to_set;  // run_delayed_extent_op
  apply_inline_refs(ei, h);
  if (ei.refs > 0) return btrfs_update_item(trans, extent_root, key, std::move(ei));
  // Last reference gone: delete the extent item, give the bytes back (pinned until commit) and drop
  // the data checksums.
  ret = btrfs_delete_item(trans, extent_root, key);
  FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "delete of extent item {} failed: {}", h.bytenr, ret);
  btrfs_update_block_group(trans, h.bytenr, h.num_bytes, false);
  if (h.is_data) return btrfs_del_csums(trans, h.bytenr, h.num_bytes);
  return 0;
}

uint64_t lookup_extent_info(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, uint64_t bytenr, uint64_t* flags) {
  // Complete: reads the extent tree (tree_read_claim; a block not cached: read_tree_block's own scope) and
  // the delayed ref heads (running_bytenr, ref_mod, flags_to_set); the wait is a primitive.
  sched::FootprintScope scope(tree_read_claim().reads_from(fp::delayed_refs()));
  // The head is being run (mutex_lock(&head->mutex) in btrfs_lookup_extent_info): wait, then count.
  if (cur_trans && cur_trans->delayed_refs.running_bytenr == bytenr)
    fs_info.delayed_refs_wait.wait_event([&] { return cur_trans->delayed_refs.running_bytenr != bytenr; });
  int64_t refs = 0;
  uint64_t extent_flags = 0;
  btrfs_for_each_item(fs_info, fs_info.extent_root(), {bytenr, 0, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != bytenr) return false;
    if (it.key.type == BTRFS_EXTENT_ITEM_KEY || it.key.type == BTRFS_METADATA_ITEM_KEY) {
      const auto& ei = std::get<btrfs_extent_item>(it.value);
      refs = int64_t(ei.refs);
      extent_flags = ei.flags;
      return false;
    }
    return true;
  });
  if (cur_trans) {
    auto& heads = cur_trans->delayed_refs.heads;
    if (auto it = heads.find(bytenr); it != heads.end()) {
      refs += it->second.ref_mod;
      extent_flags |= it->second.flags_to_set;
    }
  }
  if (flags) *flags = extent_flags;
  return refs < 0 ? 0 : uint64_t(refs);
}

}  // namespace

void btrfs_add_delayed_tree_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, int level,
                                uint64_t root, uint64_t parent, int action, bool new_extent) {
  add_ref(trans, bytenr, num_bytes, false, level, {action, root, uint64_t(level), 0, parent}, new_extent);
}

void btrfs_add_delayed_data_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, uint64_t root,
                                uint64_t ino, uint64_t offset, uint64_t parent, int action, bool new_extent) {
  add_ref(trans, bytenr, num_bytes, true, 0, {action, root, ino, offset, parent}, new_extent);
}

void btrfs_set_disk_extent_flags(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, int level,
                                 uint64_t flags) {
  sched::FootprintScope scope(sched::declared().writes_to(fp::delayed_refs()));  // complete: one head
  head_for(trans, bytenr, num_bytes, false, level).flags_to_set |= flags;
}

int check_ref_cleanup(btrfs_trans_handle& trans, uint64_t bytenr) {
  sched::FootprintScope scope(sched::declared().writes_to(fp::delayed_refs()));  // complete: one head
  auto& heads = trans.transaction->delayed_refs.heads;
  auto it = heads.find(bytenr);
  if (it == heads.end()) return 0;
  btrfs_delayed_ref_head& head = it->second;
  if (!head.refs.empty()) return 0;
  // cleanup_extent_op: a new extent's op is dropped (its item is never inserted); another head's op
  // still has to run.
  if (head.flags_to_set != 0) {
    if (!head.must_insert_reserved) return 0;
    head.flags_to_set = 0;
  }
  // mutex_trylock(&head->mutex) cannot fail here: a head being run is out of `heads` (running_bytenr).
  const int ret = head.must_insert_reserved ? 1 : 0;
  heads.erase(it);  // btrfs_delete_ref_head (no delayed refs reserve to give back: not modelled)
  return ret;
}

int btrfs_run_delayed_refs(btrfs_trans_handle& trans, bool all) {
  // Complete: the heads (DelayedRefs) and what running them touches: extent and csum tree modifications
  // (modify_tree's tree_write_claim; the csum edit lock is its own object), btrfs_update_block_group (block
  // groups, space info, dirty_bgs and pinned extents, unused_bgs); a message to the kernel log is followed
  // by a finding that ends the execution in the same step.
  sched::FootprintScope scope(tree_write_claim().writes_to(fp::unused_bgs()));
  btrfs_delayed_ref_root& delayed_refs = trans.transaction->delayed_refs;
  auto& heads = delayed_refs.heads;
  // Running refs modifies the extent tree, which queues refs for its own new blocks: with `all`, loop
  // until nothing is left (bounded: a block is COWed at most once per transaction).
  for (int round = 0; !heads.empty(); ++round) {
    FSRACE_MODEL_CHECK(round < 64, "delayed refs do not converge");
    sched::point(sched::L("btrfs_run_delayed_refs(transid {}, {} heads)", trans.transid, heads.size()));
    std::vector<uint64_t> ready;
    ready.reserve(heads.size());
    for (const auto& [bytenr, h] : heads) ready.push_back(bytenr);
    for (uint64_t bytenr : ready) {
      auto node = heads.extract(bytenr);
      if (node.empty()) continue;
      delayed_refs.running_bytenr = bytenr;
      const int ret = run_one_head(trans, node.mapped());
      delayed_refs.running_bytenr = 0;
      // has_waiters() reads the wait queue's list outside a primitive: the queue's object (instance 0).
      sched::touch_lock(trans.fs_info->delayed_refs_wait.name(), 0, false);
      if (trans.fs_info->delayed_refs_wait.has_waiters()) trans.fs_info->delayed_refs_wait.wake_up();
      if (ret) return ret;
    }
    if (!all) break;
  }
  return 0;
}

void btrfs_lookup_extent_info(btrfs_trans_handle& trans, uint64_t bytenr, bool is_data, uint64_t* refs,
                              uint64_t* flags) {
  *refs = lookup_extent_info(*trans.fs_info, trans.transaction.get(), bytenr, flags);
}

uint64_t btrfs_lookup_extent_refs(btrfs_trans_handle& trans, uint64_t bytenr, bool is_data) {
  return btrfs_lookup_extent_refs(*trans.fs_info, trans.transaction.get(), bytenr, is_data);
}

uint64_t btrfs_lookup_extent_refs(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, uint64_t bytenr, bool) {
  return lookup_extent_info(fs_info, cur_trans, bytenr, nullptr);
}

}  // namespace fsrace::model
