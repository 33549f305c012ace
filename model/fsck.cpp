#include "model/fsck.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "model/data/delalloc.hpp"
#include "model/frozen_block_memo.hpp"
#include "model/fsck_internal.hpp"
#include "model/probe_index.hpp"
#include "model/space_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

struct checker {
  btrfs_fs_info& fs;
  std::vector<std::string> problems;
  // Each reference's target as the walk finds it (one entry per reference), then counted per target in
  // bytenr order by check_extents (sorted, equal targets counted), so that problems come out in the same
  // order as ever.
  std::vector<uint64_t> tree_refs;  // tree block bytenr, once per referencing block / root item
  std::vector<uint64_t> data_refs;  // data extent bytenr, once per referencing file extent item
  probe_index<uint64_t, bool> visited;  // lookups only

  template <class... A> void problem(fmt::format_string<A...> f, A&&... a) {
    problems.push_back(fmt::format(f, std::forward<A>(a)...));
  }

  // Whether a block's checksum matches its content, computed once per bytenr: the check changes nothing,
  // so a bytenr names the same block object (buffer_radix) every time a tree reaches it (blocks shared
  // by snapshots are reached once per tree, and report a mismatch once per tree as before).
  probe_index<uint64_t, bool> csum_ok;
  fsck::verified_blocks verified;  // the blocks found matching, for the committed state's check
  bool csum_matches(uint64_t bytenr, const tree_block& b) {
    if (const bool* ok = csum_ok.find(bytenr)) return *ok;
    const bool ok = b.header.csum == b.content_csum();
    csum_ok.emplace(bytenr, ok);
    if (ok) verified.emplace(&b, true);
    return ok;
  }

  tree_block_ptr block(uint64_t bytenr, bool* frozen) {
    const tree_block_ptr* p = fs.buffer_radix.find(bytenr, frozen);
    return p ? *p : nullptr;
  }

  bool mapped(uint64_t logical, uint64_t len, const char* what, uint64_t owner) {
    auto it = fs.mapping_tree.upper_bound(logical);
    if (it == fs.mapping_tree.begin() || logical + len > std::prev(it)->second->start + std::prev(it)->second->length) {
      problem("{} {} (len {}, owner {}) is not mapped by any chunk", what, logical, len, owner);
      return false;
    }
    return true;
  }

  void walk(uint64_t root_id, uint64_t bytenr, uint64_t expect_gen, int expect_level, const btrfs_key* first_key) {
    mapped(bytenr, fs.nodesize, "tree block", root_id);
    bool frozen = false;
    tree_block_ptr b = block(bytenr, &frozen);
    if (!b) {
      problem("tree block {} of root {} is missing from the buffer cache", bytenr, root_id);
      return;
    }
    if (b->header.bytenr != bytenr) problem("tree block {} of root {}: header bytenr {}", bytenr, root_id, b->header.bytenr);
    if (expect_gen && b->header.generation != expect_gen)
      problem("tree block {} of root {}: generation {} but parent expects {}", bytenr, root_id, b->header.generation, expect_gen);
    if (b->header.level != expect_level)
      problem("tree block {} of root {}: level {} but expected {}", bytenr, root_id, b->header.level, expect_level);
    // The checks of the block alone (checksum, key order, leaf size for this nodesize): skipped for a
    // block of the prepared state that passed them before (frozen_block_memo.hpp).
    thread_local frozen_block_memo sound_blocks;
    const bool known_sound = frozen && sound_blocks.passed(b, fs.nodesize);
    bool sound = true;
    if (!known_sound && b->header.csum && !csum_matches(bytenr, *b)) {
      sound = false;
      problem("tree block {} of root {}: checksum mismatch", bytenr, root_id);
    }
    if (!known_sound)
      for (uint32_t i = 1; i < b->nritems(); ++i)
        if (!(b->key_at(i - 1) < b->key_at(i))) {
          sound = false;
          problem("tree block {} of root {}: keys out of order at slot {}: {} then {}", bytenr, root_id, i,
                  to_string(b->key_at(i - 1)), to_string(b->key_at(i)));
        }
    if (first_key && b->nritems() && b->key_at(0) != *first_key)
      problem("tree block {} of root {}: first key {} but parent says {}", bytenr, root_id, to_string(b->key_at(0)),
              to_string(*first_key));
    if (!known_sound && b->is_leaf() && b->leaf_used_bytes() > leaf_data_size(fs.nodesize)) {
      sound = false;
      problem("leaf {} of root {} overflows: {} bytes of items", bytenr, root_id, b->leaf_used_bytes());
    }
    if (frozen && !known_sound && sound) sound_blocks.pass(b, fs.nodesize);
    if (!visited.emplace(bytenr, true)) return;  // shared block: its children were counted once
    if (!b->is_leaf()) {
      for (const auto& p : b->ptrs) {
        tree_refs.push_back(p.blockptr);
        walk(root_id, p.blockptr, p.generation, b->header.level - 1, &p.key);
      }
      return;
    }
    for (const auto& it : b->items) {
      if (it.key.type != BTRFS_EXTENT_DATA_KEY) continue;
      const auto& fe = std::get<btrfs_file_extent_item>(it.value);
      if (fe.type == BTRFS_FILE_EXTENT_INLINE || fe.disk_bytenr == 0) continue;
      data_refs.push_back(fe.disk_bytenr);
      mapped(fe.disk_bytenr, fe.disk_num_bytes, "data extent", root_id);
    }
  }

  // (target, number of references) in target order.
  using ref_counts = std::vector<std::pair<uint64_t, uint64_t>>;
  static ref_counts counted(std::vector<uint64_t>& targets) {
    std::sort(targets.begin(), targets.end());
    ref_counts v;
    for (uint64_t t : targets) {
      if (!v.empty() && v.back().first == t) ++v.back().second;
      else v.emplace_back(t, 1);
    }
    return v;
  }
  // The count of `bytenr` in v, for targets asked in increasing order (`at` moves forward only).
  static uint64_t count_at(const ref_counts& v, size_t& at, uint64_t bytenr) {
    while (at < v.size() && v[at].first < bytenr) ++at;
    return at < v.size() && v[at].first == bytenr ? v[at].second : 0;
  }

  // Extent items as the extent tree plus pending delayed refs define them: (bytenr, (len, refs, data)) in
  // bytenr order, one per bytenr. The tree's items, read once: `committed` (the later of two items of one
  // bytenr counts, as a map assigned in key order would keep it); `with_pending` adds the running
  // transaction's heads.
  struct extent { uint64_t len = 0; int64_t refs = 0; bool data = false; };
  using extent_list = std::vector<std::pair<uint64_t, extent>>;
  extent_list tree_extents() {
    extent_list ex;
    btrfs_for_each_item(fs, fs.extent_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_EXTENT_ITEM_KEY)
        ex.push_back({it.key.objectid, {it.key.offset, int64_t(std::get<btrfs_extent_item>(it.value).refs), true}});
      else if (it.key.type == BTRFS_METADATA_ITEM_KEY)
        ex.push_back({it.key.objectid, {fs.nodesize, int64_t(std::get<btrfs_extent_item>(it.value).refs), false}});
      return true;
    });
    fsck::sort_keep_last(ex);  // keys come in order from a sound tree
    return ex;
  }
  extent_list with_pending(const extent_list& committed) {
    if (!fs.running_transaction) return committed;
    const auto& heads = fs.running_transaction->delayed_refs.heads;
    extent_list ex;
    ex.reserve(committed.size() + heads.size());
    auto c = committed.begin();
    for (const auto& [bytenr, h] : heads) {
      for (; c != committed.end() && c->first < bytenr; ++c) ex.push_back(*c);
      extent e;
      if (c != committed.end() && c->first == bytenr) e = (c++)->second;
      e.len = h.num_bytes;
      e.data = h.is_data;
      e.refs += h.ref_mod;
      if (e.refs > 0) ex.push_back({bytenr, e});
    }
    ex.insert(ex.end(), c, committed.end());
    return ex;
  }
  // Whether ex (in bytenr order, one entry per bytenr) has `bytenr`, for bytenrs asked in increasing
  // order (`at` moves forward only).
  static bool has_extent(const extent_list& ex, size_t& at, uint64_t bytenr) {
    while (at < ex.size() && ex[at].first < bytenr) ++at;
    return at < ex.size() && ex[at].first == bytenr;
  }

  void check_extents() {
    const extent_list committed = tree_extents();
    const extent_list ex = with_pending(committed);
    const ref_counts trees = counted(tree_refs), datas = counted(data_refs);
    size_t tree_at = 0, data_at = 0;  // ex is in bytenr order: each list is read forward once
    for (const auto& [bytenr, e] : ex) {
      const uint64_t want = e.data ? count_at(datas, data_at, bytenr) : count_at(trees, tree_at, bytenr);
      if (uint64_t(e.refs) != want)
        problem("extent {} ({} bytes, {}): extent item has {} refs but {} references exist", bytenr, e.len,
                e.data ? "data" : "tree block", e.refs, want);
      block_group_ptr bg = btrfs_lookup_block_group(fs, bytenr);
      if (!bg) problem("extent {} lies in no block group", bytenr);
      else if (bytenr + e.len > bg->end()) problem("extent {} crosses the end of block group {}", bytenr, bg->start);
    }
    size_t ex_at = 0;
    for (const auto& [bytenr, n] : trees)
      if (!has_extent(ex, ex_at, bytenr)) problem("tree block {} is referenced {} times but has no extent item", bytenr, n);
    ex_at = 0;
    for (const auto& [bytenr, n] : datas)
      if (!has_extent(ex, ex_at, bytenr)) problem("data extent {} is referenced {} times but has no extent item", bytenr, n);
    // Block group used bytes against the extent items inside it: both change together when delayed
    // refs run, so pending refs are left out here.
    std::map<uint64_t, uint64_t> used;
    for (const auto& [bytenr, e] : committed)
      if (block_group_ptr bg = btrfs_lookup_block_group(fs, bytenr)) used[bg->start] += e.len;
    for (const auto& [start, bg] : fs.block_group_cache_tree)
      if (bg->used != used[start])
        problem("block group {} ({}): used {} but its extents add up to {}", start, block_group_type_name(bg->flags),
                bg->used, used[start]);
  }

  void check_chunks() {
    // Dev extents against chunks, and no two dev extents overlap on a device.
    std::map<std::pair<uint64_t, uint64_t>, btrfs_dev_extent> dev_extents;
    btrfs_for_each_item(fs, fs.dev_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_DEV_EXTENT_KEY) dev_extents[{it.key.objectid, it.key.offset}] = std::get<btrfs_dev_extent>(it.value);
      return true;
    });
    std::map<uint64_t, btrfs_chunk> chunks;
    btrfs_for_each_item(fs, fs.chunk_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_CHUNK_ITEM_KEY) chunks[it.key.offset] = std::get<btrfs_chunk>(it.value);
      return true;
    });
    std::set<uint64_t> pending;
    for (const auto& [start, bg] : fs.block_group_cache_tree)
      if (bg->on_new_bgs) pending.insert(start);  // items not all inserted yet (phase 2 to come)
    for (const auto& [logical, map] : fs.mapping_tree) {
      // verify_one_dev_extent at mount: "dev extent devid %llu physical offset %llu len %llu is beyond device
      // boundary %llu" (-EUCLEAN, the mount fails); pending chunks included, they reach the devices too.
      for (const auto& s : map->stripes) {
        // The stripe's device object must be the filesystem's device of its devid (replace finishing
        // switches stripes to the target and then gives it the source's devid).
        const btrfs_device& sd = fs.dev(s.dev);
        const btrfs_device* d = fs.device(sd.devid);
        if (d != &sd) problem("chunk {}: stripe at {} on a device object (devid {}) not in the filesystem", logical, s.physical, sd.devid);
        if (d && s.physical + map_stripe_size(*map) > d->total_bytes)
          problem("dev extent devid {} physical offset {} len {} is beyond device boundary {} (chunk {})", sd.devid,
                  s.physical, map_stripe_size(*map), d->total_bytes, logical);
      }
      if (pending.count(logical)) continue;
      auto c = chunks.find(logical);
      if (c == chunks.end()) { problem("chunk {} is mapped but has no chunk item", logical); continue; }
      if (c->second.length != map->length) problem("chunk {}: item length {} but mapping {}", logical, c->second.length, map->length);
      if (c->second.sub_stripes != map->sub_stripes)
        problem("chunk {}: item sub_stripes {} but mapping {}", logical, c->second.sub_stripes, map->sub_stripes);
      for (const auto& s : map->stripes) {
        const uint64_t devid = fs.dev(s.dev).devid;
        auto de = dev_extents.find({devid, s.physical});
        if (de == dev_extents.end()) problem("chunk {}: stripe on devid {} at {} has no dev extent", logical, devid, s.physical);
        else if (de->second.chunk_offset != logical || de->second.length != map_stripe_size(*map))
          problem("dev extent devid {} at {} points at chunk {} len {}, expected chunk {} len {}", devid, s.physical,
                  de->second.chunk_offset, de->second.length, logical, map_stripe_size(*map));
      }
      if (!fs.block_group_cache_tree.count(logical)) problem("chunk {} has no block group", logical);
    }
    for (const auto& [logical, c] : chunks)
      if (!fs.mapping_tree.count(logical)) problem("chunk item {} has no mapping", logical);
    for (const auto& [k, de] : dev_extents) {
      auto m = fs.mapping_tree.find(de.chunk_offset);
      bool found = false;
      if (m != fs.mapping_tree.end())
        for (const auto& s : m->second->stripes) found |= (fs.dev(s.dev).devid == k.first && s.physical == k.second);
      if (!found) problem("dev extent devid {} at {} (chunk {}) belongs to no chunk", k.first, k.second, de.chunk_offset);
    }
    uint64_t last_dev = 0, last_end = 0;
    for (const auto& [k, de] : dev_extents) {
      if (k.first == last_dev && k.second < last_end)
        problem("dev extents overlap on devid {} at {}", k.first, k.second);
      last_dev = k.first;
      last_end = k.second + de.length;
    }
    // Block group items against the cache.
    btrfs_for_each_item(fs, fs.extent_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_BLOCK_GROUP_ITEM_KEY && !fs.block_group_cache_tree.count(it.key.objectid))
        problem("block group item {} has no block group in memory", it.key.objectid);
      return true;
    });
  }
};

// With no task running, the data space_info's bytes_may_use is exactly the reservation of the delalloc
// that had one (EXTENT_DELALLOC without EXTENT_NORESERVE), less what pre-467dc47ea99c writeback allocated
// for unreserved ranges. Every other path takes and gives back in pairs, so a difference is a bug of the
// model (exit 3), not a race: the kernel shows its own accounting errors as the underflow WARN, a finding.
void check_bytes_may_use(btrfs_fs_info& fs) {
  uint64_t delalloc_reserved = 0;
  for (const auto& [key, inode] : fs.inode_cache)
    delalloc_reserved += inode->io_tree.delalloc.total_bytes() - delalloc_noreserve_bytes(*inode, 0, ~0ull);
  const btrfs_space_info& data = btrfs_data_sinfo(fs);
  FSRACE_MODEL_CHECK(data.bytes_may_use + data.unreserved_cow_bytes == delalloc_reserved,
                     "data bytes_may_use {} (+ {} COWed without a reservation) but the delalloc with a reservation "
                     "adds up to {}", data.bytes_may_use, data.unreserved_cow_bytes, delalloc_reserved);
  // Chunk space reservations live only while a handle changes the chunk tree (btrfs_trans_release_chunk_metadata
  // at the latest when it ends): with no task running, the system space_info holds none.
  const btrfs_space_info& sys = btrfs_find_space_info(fs, BTRFS_BLOCK_GROUP_SYSTEM);
  FSRACE_MODEL_CHECK(sys.bytes_may_use == 0 && fs.chunk_block_rsv.size == 0 && fs.chunk_block_rsv.reserved == 0,
                     "system bytes_may_use {}, chunk_block_rsv size {} reserved {} with no task running",
                     sys.bytes_may_use, fs.chunk_block_rsv.size, fs.chunk_block_rsv.reserved);
}

// With no task running, each block group's free space is what its counters leave (length less used,
// reserved, pinned and bytes_super), and each space info's counters are the sums over its groups:
// bytes_readonly holds every group's bytes_super and, for a read-only group, all the rest that is not
// used, reserved or pinned (inc_block_group_ro moved it there; unpin_extent_range and
// btrfs_free_reserved_bytes add what is freed while read-only). Every path changes these in pairs under
// the group's and space info's locks, so with the trees consistent a difference is a bug of the model
// (exit 3); the kernel would show a leak only at unmount (btrfs_free_block_groups' WARNs), which the model
// does not run.
void check_block_group_accounting(btrfs_fs_info& fs) {
  struct sums {
    uint64_t total = 0, used = 0, reserved = 0, pinned = 0, readonly = 0;
  };
  std::map<uint64_t, sums> by_type;
  for (const auto& [start, bg] : fs.block_group_cache_tree) {
    const uint64_t held = bg->used + bg->reserved + bg->pinned + bg->bytes_super;
    FSRACE_MODEL_CHECK(held <= bg->length, "bg {}: used {} + reserved {} + pinned {} + bytes_super {} > length {}", start,
                       bg->used, bg->reserved, bg->pinned, bg->bytes_super, bg->length);
    FSRACE_MODEL_CHECK(bg->free_bytes() == bg->length - held,
                       "bg {}: {} bytes of free space, but length {} - used {} - reserved {} - pinned {} - bytes_super {} "
                       "leaves {}", start, bg->free_bytes(), bg->length, bg->used, bg->reserved, bg->pinned,
                       bg->bytes_super, bg->length - held);
    sums& s = by_type[bg->flags & BTRFS_BLOCK_GROUP_TYPE_MASK];
    s.total += bg->length;
    s.used += bg->used;
    s.reserved += bg->reserved;
    s.pinned += bg->pinned;
    s.readonly += bg->bytes_super + (bg->ro ? bg->length - held : 0);
  }
  for (const btrfs_space_info& sinfo : fs.space_info) {
    const sums& s = by_type[sinfo.flags];
    FSRACE_MODEL_CHECK(sinfo.total_bytes == s.total && sinfo.bytes_used == s.used && sinfo.bytes_reserved == s.reserved &&
                           sinfo.bytes_pinned == s.pinned && sinfo.bytes_readonly == s.readonly,
                       "space info {:#x}: total/used/reserved/pinned/readonly {}/{}/{}/{}/{}, its block groups add up to "
                       "{}/{}/{}/{}/{}", sinfo.flags, sinfo.total_bytes, sinfo.bytes_used, sinfo.bytes_reserved,
                       sinfo.bytes_pinned, sinfo.bytes_readonly, s.total, s.used, s.reserved, s.pinned, s.readonly);
  }
}

}  // namespace

std::vector<std::string> btrfs_check(const btrfs_fs_info& fs_info_const, fsck_scope scope) {
  // The checker only reads; the tree walkers take a non-const fs_info for the cache lookups.
  auto& fs = const_cast<btrfs_fs_info&>(fs_info_const);
  checker c{fs, {}, {}, {}, {}, {}, {}};
  for (const auto& [id, root] : fs.roots) {
    if (id != BTRFS_ROOT_TREE_OBJECTID) c.tree_refs.push_back(root->node);  // referenced by its root item
    c.walk(id, root->node, 0, root->level, nullptr);
  }
  c.tree_refs.push_back(fs.roots.at(BTRFS_ROOT_TREE_OBJECTID)->node);  // referenced by the super block
  c.check_extents();
  c.check_chunks();
  // Device bytes_used (btrfs_device::bytes_used) against the stripes of the mapped chunks.
  std::map<uint64_t, uint64_t> allocated;
  for (const auto& [logical, map] : fs.mapping_tree)
    for (const auto& s : map->stripes) allocated[fs.dev(s.dev).devid] += map_stripe_size(*map);
  for (const auto& [devid, d] : fs.devices)
    if (!d->is_tgtdev_for_dev_replace && d->bytes_used != allocated[devid])
      c.problem("devid {}: bytes_used {} but its chunk stripes add up to {}", devid, d->bytes_used, allocated[devid]);
  check_bytes_may_use(fs);
  // A group whose used bytes disagree with its extents is a finding above; its counters then disagree too.
  if (c.problems.empty()) check_block_group_accounting(fs);
  auto committed = fsck::check_committed(fs, scope, &c.verified);
  c.problems.insert(c.problems.end(), std::make_move_iterator(committed.begin()), std::make_move_iterator(committed.end()));
  return c.problems;
}

}  // namespace fsrace::model
