#include "sim/state_fingerprint.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/items.hpp"

namespace fsrace::sim {
namespace {

class hasher {
 public:
  void add(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * 0x100000001b3ULL;
    h_ = (h_ ^ 0xffu) * 0x100000001b3ULL;  // field separator
  }
  template <class... A>
  void addf(fmt::format_string<A...> f, A&&... a) {
    add(fmt::format(f, std::forward<A>(a)...));
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// The items of the tree under `bytenr` in key order; a block missing from the buffer cache is named.
void hash_tree(hasher& h, const model::btrfs_fs_info& fs, uint64_t bytenr, int depth) {
  const model::tree_block_ptr* b = fs.buffer_radix.find(bytenr);
  if (b == nullptr || !*b || depth > static_cast<int>(model::BTRFS_MAX_LEVEL)) {
    h.addf("missing block {}", bytenr);
    return;
  }
  const model::tree_block& tb = **b;
  if (tb.is_leaf()) {
    for (const auto& it : tb.items) h.addf("{} {} {} {}", it.key.objectid, it.key.type, it.key.offset, model::describe(it.value));
    return;
  }
  for (const auto& p : tb.ptrs) hash_tree(h, fs, p.blockptr, depth + 1);
}

}  // namespace

uint64_t state_fingerprint(const model::btrfs_fs_info* fs) {
  if (fs == nullptr) return 0;
  hasher h;
  h.addf("gen {} started {} committed {} flags {} send {} reloc {}", fs->generation, fs->last_transid_started,
         fs->last_trans_committed, fs->flags, fs->send_in_progress, fs->last_reloc_trans);
  if (const auto& t = fs->running_transaction)
    h.addf("trans {} {} {} {} {}", t->transid, static_cast<int>(t->state), t->num_writers, t->delayed_refs.heads.size(),
           t->dirty_bgs.size());
  for (const auto& [start, bg] : fs->block_group_cache_tree)
    h.addf("bg {} {} {} {} {} {} {} {} {} {} {} {} {} {}", start, bg->flags, bg->length, bg->used, bg->pinned, bg->reserved,
           bg->ro, bg->reservations.peek(), bg->nocow_writers.peek(), bg->removed, bg->dirty, bg->on_unused_list,
           bg->on_new_bgs, bg->chunk_item_inserted);
  for (uint64_t s : fs->unused_bgs) h.addf("unused {}", s);
  for (const auto& [start, p] : fs->pinned_extents) h.addf("pinned {} {} {}", start, p.len, p.transid);
  for (const auto& [id, root] : fs->roots) {
    h.addf("root {} {} {} {} {} {} {} {}", id, root->node, root->level, root->commit_root, root->commit_root_level,
           root->commit_root_gen, root->last_trans, root->dirty);
    hash_tree(h, *fs, root->node, 0);
  }
  for (const auto& [id, oe] : fs->ordered_extents)
    h.addf("ordered {} {} {} {} {} {} {} {} {} {}", id, oe.root, oe.ino, oe.file_offset, oe.len, oe.start, oe.disk_len,
           oe.bytes_left, oe.flags, oe.refs);
  // The extent buffer cache (model/extent_io/): each btree page's state and each cached buffer's, by
  // index and start (not by buffer id: ids only name allocations), and the number of buffers freed.
  for (const auto& [index, p] : fs->btree_pages)
    h.addf("btree page {} {} {} {} {} {} {} {} {}", index, p->locked, p->uptodate, p->dirty, p->writeback, p->error,
           p->mapped, p->private_eb != 0, p->refcount);
  for (const auto& [index, eb] : fs->eb_tree)
    h.addf("eb {} {} {} {} {} {} {}", eb->start, eb->refs, eb->bflags, eb->io_pages, eb->pages.size(), eb->block != nullptr,
           eb->freed);
  h.addf("ebs {} freed {}", fs->allocated_ebs.size(), fs->freed_ebs);
  const auto& st = fs->data_stats;
  h.addf("data {} {} {} {} {} {}", st.cow_extents, st.nocow_extents, st.dio_cow, st.dio_nocow, st.read_repairs, st.csum_errors);
  std::vector<std::string> log = fs->dmesg;  // a multiset: lines of independent steps may come in either order
  std::sort(log.begin(), log.end());
  for (const auto& line : log) h.add(line);
  return h.value();
}

}  // namespace fsrace::sim
