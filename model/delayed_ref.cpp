#include "model/delayed_ref.hpp"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/data/file_item.hpp"
#include "model/fs_info.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

void add_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, bool is_data, int level,
             btrfs_delayed_ref_node node, bool new_extent) {
  FSRACE_MODEL_CHECK(trans.transaction, "delayed ref without a transaction");
  auto& head = trans.transaction->delayed_refs.heads[bytenr];
  if (head.refs.empty() && head.ref_mod == 0 && !head.must_insert_reserved) {
    head.bytenr = bytenr;
    head.num_bytes = num_bytes;
    head.is_data = is_data;
    head.level = level;
  }
  FSRACE_BUG_ON(head.is_data != is_data, "update_existing_head_ref: delayed ref head {} data {} updated as data {}",
                bytenr, head.is_data, is_data);
  FSRACE_MODEL_CHECK(head.num_bytes == num_bytes, "delayed ref head {} of {} bytes updated with {}", bytenr,
                     head.num_bytes, num_bytes);
  head.ref_mod += node.action;
  head.must_insert_reserved |= new_extent;
  head.refs.push_back(node);
}

btrfs_key extent_key(const btrfs_delayed_ref_head& h) {
  return h.is_data ? btrfs_key{h.bytenr, BTRFS_EXTENT_ITEM_KEY, h.num_bytes}
                   : btrfs_key{h.bytenr, BTRFS_METADATA_ITEM_KEY, uint64_t(h.level)};
}

// Keeps the inline back references: one per (root, inode, offset) for data, per root for tree blocks.
void apply_inline_refs(btrfs_extent_item& ei, const btrfs_delayed_ref_head& h) {
  for (const auto& n : h.refs) {
    btrfs_extent_inline_ref r;
    r.type = h.is_data ? BTRFS_EXTENT_DATA_REF_KEY : BTRFS_TREE_BLOCK_REF_KEY;
    r.root = n.root;
    r.objectid = h.is_data ? n.owner : 0;
    r.offset = h.is_data ? n.offset : 0;
    auto it = std::find_if(ei.inline_refs.begin(), ei.inline_refs.end(), [&](const auto& x) {
      return x.type == r.type && x.root == r.root && x.objectid == r.objectid && x.offset == r.offset;
    });
    if (n.action > 0) {
      if (it != ei.inline_refs.end()) it->count++; else ei.inline_refs.push_back(r);
    } else if (it != ei.inline_refs.end() && --it->count == 0) {
      ei.inline_refs.erase(it);
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
    ei.flags = h.is_data ? BTRFS_EXTENT_FLAG_DATA : BTRFS_EXTENT_FLAG_TREE_BLOCK;
    apply_inline_refs(ei, h);
    int ret = btrfs_insert_item(trans, extent_root, key, ei);
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "alloc_reserved_extent: insert of extent item {} failed: {}", h.bytenr, ret);
    btrfs_update_block_group(trans, h.bytenr, h.num_bytes, true);
    return 0;
  }
  if (h.ref_mod == 0 && h.refs.empty()) return 0;
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
  auto ei = std::get<btrfs_extent_item>(v);
  FSRACE_ABORT_TRANSACTION_IF(int64_t(ei.refs) + h.ref_mod < 0, -EUCLEAN, "extent {} refs {} dropping {}", h.bytenr, ei.refs, -h.ref_mod);
  ei.refs = uint64_t(int64_t(ei.refs) + h.ref_mod);
  apply_inline_refs(ei, h);
  if (ei.refs > 0) return btrfs_update_item(trans, extent_root, key, ei);
  // Last reference gone: delete the extent item, give the bytes back (pinned until commit) and drop
  // the data checksums.
  ret = btrfs_delete_item(trans, extent_root, key);
  FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "delete of extent item {} failed: {}", h.bytenr, ret);
  btrfs_update_block_group(trans, h.bytenr, h.num_bytes, false);
  if (h.is_data) return btrfs_del_csums(trans, h.bytenr, h.num_bytes);
  return 0;
}

}  // namespace

void btrfs_add_delayed_tree_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, int level,
                                uint64_t root, int action, bool new_extent) {
  add_ref(trans, bytenr, num_bytes, false, level, {action, root, uint64_t(level), 0}, new_extent);
}

void btrfs_add_delayed_data_ref(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, uint64_t root,
                                uint64_t ino, uint64_t offset, int action, bool new_extent) {
  add_ref(trans, bytenr, num_bytes, true, 0, {action, root, ino, offset}, new_extent);
}

int btrfs_run_delayed_refs(btrfs_trans_handle& trans, bool all) {
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
      if (trans.fs_info->delayed_refs_wait.has_waiters()) trans.fs_info->delayed_refs_wait.wake_up();
      if (ret) return ret;
    }
    if (!all) break;
  }
  return 0;
}

uint64_t btrfs_lookup_extent_refs(btrfs_trans_handle& trans, uint64_t bytenr, bool is_data) {
  return btrfs_lookup_extent_refs(*trans.fs_info, trans.transaction.get(), bytenr, is_data);
}

uint64_t btrfs_lookup_extent_refs(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, uint64_t bytenr, bool is_data) {
  // The head is being run (mutex_lock(&head->mutex) in btrfs_lookup_extent_info): wait, then count.
  if (cur_trans && cur_trans->delayed_refs.running_bytenr == bytenr)
    fs_info.delayed_refs_wait.wait_event([&] { return cur_trans->delayed_refs.running_bytenr != bytenr; });
  int64_t refs = 0;
  bool found = false;
  btrfs_for_each_item(fs_info, fs_info.extent_root(), {bytenr, 0, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != bytenr) return false;
    if (it.key.type == BTRFS_EXTENT_ITEM_KEY || it.key.type == BTRFS_METADATA_ITEM_KEY) {
      refs = int64_t(std::get<btrfs_extent_item>(it.value).refs);
      found = true;
      return false;
    }
    return true;
  });
  (void)found;
  if (cur_trans) {
    auto& heads = cur_trans->delayed_refs.heads;
    if (auto it = heads.find(bytenr); it != heads.end()) refs += it->second.ref_mod;
  }
  return refs < 0 ? 0 : uint64_t(refs);
}

}  // namespace fsrace::model
