// btrfs check of the committed state as read back from the devices: what a mount after a crash (or
// `btrfs check` on the unmounted devices) would see. The super block's roots are the last committed
// root pointers (the commit roots of the root tree and the chunk tree); the chunk tree is read through
// the system chunks of the mapping (the super block's sys_chunk_array), every other tree through the
// committed chunk items. Every tree block is read from every mirror: the mirrors must hold the same
// block, its checksum must verify and its header must match what the parent pointer expects.
#include <algorithm>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "model/data/csum.hpp"
#include "model/fs_info.hpp"
#include "model/fsck.hpp"
#include "model/frozen_block_memo.hpp"
#include "model/probe_index.hpp"
#include "model/fsck_internal.hpp"

namespace fsrace::model {
namespace {

using fsck::problem_list;

// A chunk as a reader of the devices maps it: from the super block's system chunk array or a
// committed chunk item (a chunk_map: the model's chunk geometry by devid, so RAID10 maps as the IO paths do).
using committed_chunk = chunk_map;

// Where mirror m (1-based) of `logical` lives in chunk c.
struct mirror_location {
  uint64_t devid = 0, physical = 0;
};
mirror_location locate(const committed_chunk& c, uint64_t logical, int m) {
  const stripe_piece p = map_stripe_piece(c, logical - c.start, m);
  return {c.stripes[p.index].devid, p.physical};
}

struct disk_checker {
  disk_checker(const btrfs_fs_info& f, problem_list& o) : fs(f), out(o) {}
  const btrfs_fs_info& fs;
  problem_list& out;
  uint64_t super_generation = 0;
  std::map<uint64_t, committed_chunk> chunks;  // the chunk map reads go through, by logical start
  probe_index<uint64_t, bool> visited;  // tree blocks already walked (shared by snapshots); never iterated
  // A pointer to an extent: from tree block `block` (owned by `owner`), or from a root item or the
  // super block (block 0, owner: the root). Data pointers name the file extent item's inode and
  // offset (file offset - extent offset). One per pointer of each distinct block.
  struct pointer {
    uint64_t block = 0, owner = 0, ino = 0, offset = 0;
  };
  // Pointers as the walk finds them: (target bytenr, pointer), grouped by target in check_extents (a
  // stable sort keeps each target's pointers in the order found). A data pointer's `len` is the file
  // extent item's disk_num_bytes (the last one found is what the extent's length is checked against).
  struct found_pointer {
    uint64_t target = 0;
    pointer p;
    uint64_t len = 0;
  };
  std::vector<found_pointer> tree_ptrs, data_ptrs;
  void add_tree_ref(uint64_t target, const pointer& p) { tree_ptrs.push_back({target, p, 0}); }

  // Collected items of the cow-only trees. An extent item is read in place: the blocks the check reads
  // are held by the devices, and nothing changes them while the check runs.
  // (bytenr, (length, item)) as the walk finds them; sort_extents (at check_extents) orders them by
  // bytenr and keeps a repeated bytenr's last one (what a map's assignment kept), for binary searches.
  using extent_entry = std::pair<uint64_t, std::pair<uint64_t, const btrfs_extent_item*>>;
  std::vector<extent_entry> extents;
  // extent_pos: each sorted entry's position by bytenr (a hash index, only looked up), built by
  // sort_extents, after which `extents` does not change.
  probe_index<uint64_t, uint32_t> extent_pos;
  void sort_extents() {
    fsck::sort_keep_last(extents);
    extent_pos.clear();
    extent_pos.reserve(extents.size());
    for (size_t i = 0; i < extents.size(); ++i) extent_pos.emplace(extents[i].first, uint32_t(i));
  }
  const std::pair<uint64_t, const btrfs_extent_item*>* find_extent(uint64_t bytenr) const {
    const uint32_t* i = extent_pos.find(bytenr);
    return i ? &extents[*i].second : nullptr;
  }
  std::map<uint64_t, btrfs_block_group_item> block_groups;             // start -> item
  std::map<uint64_t, uint64_t> block_group_len;
  std::map<std::pair<uint64_t, uint64_t>, btrfs_dev_extent> dev_extents;
  std::map<uint64_t, btrfs_dev_item> dev_items;
  std::map<uint64_t, btrfs_root_item> root_items;
  std::vector<fsck::subvol_link> root_refs, root_backrefs;
  // logical start -> csums, read in place like the extent items (the devices hold the blocks).
  std::map<uint64_t, const btrfs_csum_item*> csums;

  // Blocks whose checksum verified in this check. The check changes nothing and runs while no model code
  // does, and the devices hold every block it reads (none is freed, so no address is reused): a block
  // verified once verifies again. DUP and RAID1 mirrors usually hold the same block object, and the fs
  // trees' leaves are read again after the walk. Only looked up, never iterated.
  // A block of the prepared state (`frozen`) that verified in an earlier check is taken as verified
  // (frozen_block_memo.hpp).
  probe_index<const tree_block*, bool> csum_ok;
  const fsck::verified_blocks* pre_verified = nullptr;  // by the in-memory check just before (fsck_internal.hpp)
  bool verified_csum(const tree_block_ptr& b, bool frozen) {
    thread_local frozen_block_memo verified;
    if (frozen && verified.passed(b, 0)) return true;
    if (csum_ok.find(b.get())) return true;
    if (pre_verified && pre_verified->find(b.get())) {
      csum_ok.emplace(b.get(), true);
      return true;
    }
    if (b->header.csum != b->content_csum()) return false;
    csum_ok.emplace(b.get(), true);
    if (frozen) verified.pass(b, 0);
    return true;
  }

  const committed_chunk* chunk_of(uint64_t logical, uint64_t len) const {
    auto it = chunks.upper_bound(logical);
    if (it == chunks.begin()) return nullptr;
    --it;
    return logical + len <= it->second.start + it->second.length ? &it->second : nullptr;
  }

  // read_tree_block from every mirror: each must hold the same verified block.
  // *first_frozen: whether the block returned is the prepared state's on its device (cow_map::find).
  tree_block_ptr read(uint64_t root_id, uint64_t bytenr, uint64_t expect_gen, bool gen_exact, int expect_level,
                      bool* first_frozen) {
    *first_frozen = false;
    const committed_chunk* c = chunk_of(bytenr, fs.nodesize);
    if (!c) {
      out.problem("tree block {} of root {} is not mapped by any committed chunk", bytenr, root_id);
      return nullptr;
    }
    tree_block_ptr first;
    for (int m = 1; m <= map_num_copies(*c); ++m) {
      const mirror_location at = locate(*c, bytenr, m);
      auto d = fs.devices.find(at.devid);
      if (d == fs.devices.end() || d->second->missing) continue;  // degraded: nothing to read there
      bool frozen = false;
      tree_block_ptr b = d->second->bdev.read_tree_block(at.physical, &frozen);
      if (!b) {
        out.problem("tree block {} of root {}: mirror {} (devid {} physical {}) holds no tree block", bytenr, root_id,
                    m, at.devid, at.physical);
        continue;
      }
      if (!verified_csum(b, frozen)) {
        out.problem("tree block {} of root {}: mirror {} (devid {}) fails its checksum", bytenr, root_id, m, at.devid);
        continue;
      }
      if (!first) {
        first = b;
        *first_frozen = frozen;
      } else if (b != first && (b->header.csum != first->header.csum || b->header.generation != first->header.generation ||
                                b->header.bytenr != first->header.bytenr)) {
        out.problem("tree block {} of root {}: mirror {} (devid {}) holds generation {}, mirror 1 generation {}", bytenr,
                    root_id, m, at.devid, b->header.generation, first->header.generation);
      }
    }
    if (!first) {
      out.problem("tree block {} of root {}: no mirror holds a valid copy", bytenr, root_id);
      return nullptr;
    }
    const auto& h = first->header;
    if (h.bytenr != bytenr) out.problem("tree block {} of root {}: header bytenr {}", bytenr, root_id, h.bytenr);
    if (gen_exact ? h.generation != expect_gen : h.generation > expect_gen)
      out.problem("tree block {} of root {}: parent transid verify failed: wanted {} found {}", bytenr, root_id,
                  expect_gen, h.generation);
    if (h.generation > super_generation)
      out.problem("tree block {} of root {}: generation {} is newer than the super block's {}", bytenr, root_id,
                  h.generation, super_generation);
    if (h.level != expect_level)
      out.problem("tree block {} of root {}: level {} but expected {}", bytenr, root_id, h.level, expect_level);
    return first;
  }

  // Walks a tree from its root pointer; `visit` sees every leaf item of blocks walked for the first time.
  template <class Visit>
  void walk(uint64_t root_id, uint64_t bytenr, uint64_t gen, bool gen_exact, int level, const btrfs_key* first_key,
            Visit&& visit) {
    bool frozen = false;
    tree_block_ptr b = read(root_id, bytenr, gen, gen_exact, level, &frozen);
    if (!b) return;
    // Key order, skipped for a block of the prepared state found in order before (frozen_block_memo.hpp).
    thread_local frozen_block_memo ordered;
    if (!(frozen && ordered.passed(b, 0))) {
      bool in_order = true;
      for (uint32_t i = 1; i < b->nritems(); ++i)
        if (!(b->key_at(i - 1) < b->key_at(i))) {
          in_order = false;
          out.problem("tree block {} of root {}: keys out of order at slot {}", bytenr, root_id, i);
        }
      if (frozen && in_order) ordered.pass(b, 0);
    }
    if (first_key && b->nritems() && b->key_at(0) != *first_key)
      out.problem("tree block {} of root {}: first key {} but the parent says {}", bytenr, root_id,
                  to_string(b->key_at(0)), to_string(*first_key));
    if (!visited.emplace(bytenr, true)) return;
    if (!b->is_leaf()) {
      for (const auto& p : b->ptrs) {
        add_tree_ref(p.blockptr, {bytenr, b->header.owner, 0, 0});
        walk(root_id, p.blockptr, p.generation, true, b->header.level - 1, &p.key, visit);
      }
      return;
    }
    for (const auto& it : b->items) {
      if (it.key.type == BTRFS_EXTENT_DATA_KEY) {
        const auto& fe = std::get<btrfs_file_extent_item>(it.value);
        if (fe.type != BTRFS_FILE_EXTENT_INLINE && fe.disk_bytenr != 0) {
          data_ptrs.push_back(
              {fe.disk_bytenr, {bytenr, b->header.owner, it.key.objectid, it.key.offset - fe.offset}, fe.disk_num_bytes});
        }
      }
      visit(it);
    }
  }

  // The leaves of one tree in key order, shared blocks included (for the per-root checks): from each
  // block the first mirror that holds a verified copy.
  void collect_leaves(uint64_t bytenr, int level, std::vector<tree_block_ptr>& leaves) {
    const committed_chunk* c = chunk_of(bytenr, fs.nodesize);
    if (!c) return;  // reported by the walk
    tree_block_ptr b;
    for (int m = 1; m <= map_num_copies(*c); ++m) {
      const mirror_location at = locate(*c, bytenr, m);
      auto d = fs.devices.find(at.devid);
      if (d == fs.devices.end() || d->second->missing) continue;
      bool frozen = false;
      if ((b = d->second->bdev.read_tree_block(at.physical, &frozen)) && verified_csum(b, frozen)) break;
      b = nullptr;
    }
    if (!b || b->header.level != level) return;  // reported by the walk
    if (b->is_leaf()) {
      leaves.push_back(std::move(b));
      return;
    }
    for (const auto& p : b->ptrs) collect_leaves(p.blockptr, level - 1, leaves);
  }

  void collect(uint64_t root_id, const btrfs_item& it) {
    switch (root_id) {
      case BTRFS_EXTENT_TREE_OBJECTID:
        if (it.key.type == BTRFS_EXTENT_ITEM_KEY)
          extents.push_back({it.key.objectid, {it.key.offset, &std::get<btrfs_extent_item>(it.value)}});
        else if (it.key.type == BTRFS_METADATA_ITEM_KEY)
          extents.push_back({it.key.objectid, {fs.nodesize, &std::get<btrfs_extent_item>(it.value)}});
        else if (it.key.type == BTRFS_BLOCK_GROUP_ITEM_KEY) {
          block_groups[it.key.objectid] = std::get<btrfs_block_group_item>(it.value);
          block_group_len[it.key.objectid] = it.key.offset;
        }
        break;
      case BTRFS_DEV_TREE_OBJECTID:
        if (it.key.type == BTRFS_DEV_EXTENT_KEY)
          dev_extents[{it.key.objectid, it.key.offset}] = std::get<btrfs_dev_extent>(it.value);
        break;
      case BTRFS_CSUM_TREE_OBJECTID:
        if (it.key.type == BTRFS_EXTENT_CSUM_KEY) csums[it.key.offset] = &std::get<btrfs_csum_item>(it.value);
        break;
      case BTRFS_ROOT_TREE_OBJECTID:
        if (it.key.type == BTRFS_ROOT_ITEM_KEY) root_items[it.key.objectid] = std::get<btrfs_root_item>(it.value);
        if (it.key.type == BTRFS_ROOT_REF_KEY || it.key.type == BTRFS_ROOT_BACKREF_KEY) {
          const auto& r = std::get<btrfs_root_ref>(it.value);
          const bool fwd = it.key.type == BTRFS_ROOT_REF_KEY;
          const uint64_t parent = fwd ? it.key.objectid : it.key.offset, child = fwd ? it.key.offset : it.key.objectid;
          (fwd ? root_refs : root_backrefs).push_back({parent, child, r.dirid, r.sequence, r.name});
        }
        break;
      default: break;
    }
  }

  // The back reference a pointer needs (btrfs check): by the referencing block when that block's
  // extent item has FULL_BACKREF, else by the block's owner.
  btrfs_extent_inline_ref expected_backref(const pointer& p, bool data) const {
    bool full = false;
    if (p.block)
      if (auto e = find_extent(p.block)) full = e->second->flags & BTRFS_BLOCK_FLAG_FULL_BACKREF;
    btrfs_extent_inline_ref r;
    if (full) {
      r.type = data ? BTRFS_SHARED_DATA_REF_KEY : BTRFS_SHARED_BLOCK_REF_KEY;
      r.parent = p.block;
    } else if (data) {
      r.type = BTRFS_EXTENT_DATA_REF_KEY;
      r.root = p.owner;
      r.objectid = p.ino;
      r.offset = p.offset;
    } else {
      r.type = BTRFS_TREE_BLOCK_REF_KEY;
      r.root = p.owner;
    }
    r.count = 0;
    return r;
  }

  static std::string describe(const btrfs_extent_inline_ref& r) {
    switch (r.type) {
      case BTRFS_TREE_BLOCK_REF_KEY: return fmt::format("TREE_BLOCK_REF root {}", r.root);
      case BTRFS_SHARED_BLOCK_REF_KEY: return fmt::format("SHARED_BLOCK_REF parent {}", r.parent);
      case BTRFS_EXTENT_DATA_REF_KEY:
        return fmt::format("EXTENT_DATA_REF root {} ino {} offset {}", r.root, r.objectid, r.offset);
      default: return fmt::format("SHARED_DATA_REF parent {}", r.parent);
    }
  }

  // Back references by identity, each with its count, in identity order (sorted, equal ones summed).
  using ref_counts = std::vector<std::pair<btrfs_extent_inline_ref, uint64_t>>;
  static void sum_sorted(ref_counts& v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t n = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (n && v[n - 1].first == v[i].first) v[n - 1].second += v[i].second;
      else v[n++] = v[i];
    }
    v.resize(n);
  }
  static const uint64_t* count_of(const ref_counts& v, const btrfs_extent_inline_ref& r) {
    auto it = std::lower_bound(v.begin(), v.end(), r, [](const auto& a, const auto& k) { return a.first < k; });
    return it != v.end() && it->first == r ? &it->second : nullptr;
  }

  // Back references by identity, each with its count: what the pointers need against the item's.
  ref_counts have_buf, want_buf;  // check_backrefs' two lists, emptied by each call (their memory is kept)
  void check_backrefs(uint64_t bytenr, const btrfs_extent_item& ei, bool data, const found_pointer* ptrs,
                      const found_pointer* ptrs_end) {
    ref_counts& have = have_buf;
    ref_counts& want = want_buf;
    have.clear();
    want.clear();
    for (btrfs_extent_inline_ref r : ei.inline_refs) {
      if (r.type == BTRFS_EXTENT_DATA_REF_KEY && r.root == BTRFS_DATA_RELOC_TREE_OBJECTID) continue;
      const uint64_t n = r.count;
      r.count = 0;
      have.emplace_back(r, n);
      if (!data && n != 1) out.problem("tree block {}: {} has count {} (a tree block reference is one)", bytenr, describe(r), n);
    }
    for (const found_pointer* f = ptrs; f != ptrs_end; ++f) want.emplace_back(expected_backref(f->p, data), 1);
    sum_sorted(have);
    sum_sorted(want);
    for (const auto& [r, n] : want) {
      const uint64_t* hp = count_of(have, r);
      const uint64_t h = hp ? *hp : 0;
      if (h != n) {
        out.problem("{} extent {}: {} pointer{} need{} {} but the extent item has {}", data ? "data" : "tree block",
                    bytenr, n, n == 1 ? "" : "s", n == 1 ? "s" : "", describe(r), h);
        return;
      }
    }
    for (const auto& [r, n] : have)
      if (!count_of(want, r)) {
        out.problem("{} extent {}: back reference {} (count {}) without a pointer", data ? "data" : "tree block", bytenr,
                    describe(r), n);
        return;
      }
  }

  // The pointers to each target, in target order: [first, last) of one target.
  struct pointer_group {
    uint64_t target;
    const found_pointer *first, *last;
  };
  static std::vector<pointer_group> group(std::vector<found_pointer>& v) {
    std::stable_sort(v.begin(), v.end(), [](const found_pointer& a, const found_pointer& b) { return a.target < b.target; });
    std::vector<pointer_group> g;
    for (size_t i = 0, j; i < v.size(); i = j) {
      for (j = i + 1; j < v.size() && v[j].target == v[i].target;) ++j;
      g.push_back({v[i].target, v.data() + i, v.data() + j});
    }
    return g;
  }

  void check_extents() {
    sort_extents();
    const std::vector<pointer_group> tree_refs = group(tree_ptrs), data_refs = group(data_ptrs);
    // Both group lists and the extents are in bytenr order: one cursor per list finds each extent's
    // group (what a bisection of the list would find).
    size_t tree_at = 0, data_at = 0;
    auto group_at = [](const std::vector<pointer_group>& g, size_t& at, uint64_t bytenr) -> const pointer_group* {
      while (at < g.size() && g[at].target < bytenr) ++at;
      return at < g.size() && g[at].target == bytenr ? &g[at] : nullptr;
    };
    for (const auto& [bytenr, e] : extents) {
      const auto& [len, eip] = e;
      const btrfs_extent_item& ei = *eip;
      const bool data = ei.flags & BTRFS_EXTENT_FLAG_DATA;
      const pointer_group* r = data ? group_at(data_refs, data_at, bytenr) : group_at(tree_refs, tree_at, bytenr);
      uint64_t want = r ? uint64_t(r->last - r->first) : 0;
      if (data) want += data_reloc_refs(ei);
      if (ei.refs != want)
        out.problem("extent {} ({} bytes, {}): extent item has {} refs but {} references exist", bytenr, len,
                    data ? "data" : "tree block", ei.refs, want);
      check_backrefs(bytenr, ei, data, r ? r->first : nullptr, r ? r->last : nullptr);
    }
    for (const pointer_group& g : tree_refs)
      if (!find_extent(g.target))
        out.problem("tree block {} is referenced {} times but has no extent item", g.target, g.last - g.first);
    for (const pointer_group& g : data_refs) {
      auto e = find_extent(g.target);
      const uint64_t len = (g.last - 1)->len;
      if (!e) out.problem("data extent {} is referenced but has no extent item", g.target);
      else if (e->first != len)
        out.problem("data extent {}: extent item of {} bytes but file extents say {}", g.target, e->first, len);
    }
    // Block group items: used bytes against the extent items inside the group.
    std::map<uint64_t, uint64_t> used;
    for (const auto& [bytenr, e] : extents) {
      auto bg = block_groups.upper_bound(bytenr);
      if (bg == block_groups.begin()) {
        out.problem("extent {} lies in no block group", bytenr);
        continue;
      }
      --bg;
      if (bytenr + e.first > bg->first + block_group_len[bg->first]) {
        out.problem("extent {} lies outside block group {}", bytenr, bg->first);
        continue;
      }
      used[bg->first] += e.first;
    }
    for (const auto& [start, item] : block_groups) {
      if (item.used != used[start])
        out.problem("block group {}: item says used {} but its extents add up to {}", start, item.used, used[start]);
      if (!chunks.count(start)) out.problem("block group item {} has no chunk item", start);
    }
  }

  // References of the data relocation inode: the model keeps that inode in memory (balance_state.hpp,
  // reloc_data_extent), so the data reloc tree holds no file extent item to count them against. Taken
  // as they are: a wrong count of the reloc inode's own references would go unseen here (the in-memory
  // check still sees it while relocation runs).
  static uint64_t data_reloc_refs(const btrfs_extent_item& ei) {
    uint64_t n = 0;
    for (const auto& r : ei.inline_refs)
      if (r.type == BTRFS_EXTENT_DATA_REF_KEY && r.root == BTRFS_DATA_RELOC_TREE_OBJECTID) n += r.count;
    return n;
  }

  void check_devices() {
    std::map<uint64_t, uint64_t> allocated;
    for (const auto& [k, de] : dev_extents) {
      allocated[k.first] += de.length;
      auto c = chunks.find(de.chunk_offset);
      const bool found = c != chunks.end() && std::any_of(c->second.stripes.begin(), c->second.stripes.end(), [&, devid = k.first, physical = k.second](const auto& s) {
                           return s.devid == devid && s.physical == physical;
                         });
      if (!found) out.problem("dev extent devid {} at {} (chunk {}) belongs to no chunk", k.first, k.second, de.chunk_offset);
    }
    for (const auto& [start, c] : chunks) {
      for (const auto& s : c.stripes)
        if (!dev_extents.count({s.devid, s.physical}))
          out.problem("chunk {}: stripe on devid {} at {} has no dev extent", start, s.devid, s.physical);
      if (!block_groups.count(start)) out.problem("chunk {} has no block group item", start);
    }
    for (const auto& [devid, di] : dev_items)
      if (di.bytes_used != allocated[devid])
        out.problem("dev item {}: bytes_used {} but its dev extents add up to {}", devid, di.bytes_used, allocated[devid]);
    // The device set (fs_devices->devices, the super block's num_devices) against the device items: device
    // add and remove commit before they return, so what the filesystem holds is what the chunk tree says.
    for (const auto& [devid, di] : dev_items)
      if (!fs.devices.count(devid)) out.problem("dev item {} names no device of the filesystem", devid);
    for (const auto& [devid, d] : fs.devices) {
      if (d->is_tgtdev_for_dev_replace) continue;  // a replace target has no item until replace finishes
      auto di = dev_items.find(devid);
      if (di == dev_items.end()) out.problem("devid {} is in the filesystem but has no dev item", devid);
      else if (di->second.total_bytes != d->disk_total_bytes)
        out.problem("dev item {}: total_bytes {} but the device has {}", devid, di->second.total_bytes, d->disk_total_bytes);
    }
  }

  // btrfs_csum_sector of what bdev.read returns for the sector at `physical`: a data sector's checksum
  // as its bytes keep it (sector_bytes::csum, computed once per written sector: the prepared state's
  // sectors once for every execution), anything else (a tree block
  // image, an unwritten sector, a sectorsize other than the device's sector) read into `buf`. (A
  // per-thread memo of the checksums by the bytes' identity was tried: it kept every execution's data
  // alive past it and made relocation-vs-dio-reserve 15% slower.)
  static uint32_t sector_csum(const block_device& bdev, uint64_t physical, std::vector<uint8_t>& buf) {
    if (buf.size() == SECTORSIZE)
      if (const sector* s = bdev.find_sector(physical); s && s->data) return s->data->csum();
    bdev.read(physical, buf);
    return btrfs_csum_sector(buf);
  }

  // Every committed data checksum against the data on every mirror.
  void check_csums() {
    std::vector<uint8_t> buf(fs.sectorsize);
    for (const auto& [start, item_ptr] : csums) {
      const btrfs_csum_item& item = *item_ptr;
      for (size_t i = 0; i < item.csums.size(); ++i) {
        const uint64_t logical = start + i * fs.sectorsize;
        const committed_chunk* c = chunk_of(logical, fs.sectorsize);
        if (!c) {
          out.problem("csum item for {} is not mapped by any committed chunk", logical);
          break;
        }
        for (int m = 1; m <= map_num_copies(*c); ++m) {
          const mirror_location at = locate(*c, logical, m);
          auto d = fs.devices.find(at.devid);
          if (d == fs.devices.end() || d->second->missing) continue;
          const uint32_t have = sector_csum(d->second->bdev, at.physical, buf);
          if (have != item.csums[i]) {
            out.problem("data at {} mirror {} (devid {}): checksum {:#x} but the csum tree says {:#x}", logical, m,
                        at.devid, have, item.csums[i]);
            return;  // one is enough: the rest usually follows
          }
        }
      }
    }
  }
};

// check_fs_root's facts of one fs tree (fsck::fs_tree_checker) are a function of the root id and its
// items in key order, nothing else: the problems it adds (with out's prefix) and the subvolume links
// it finds. Its result is kept per thread for the last few trees checked, keyed on the root id, the
// prefix and each leaf's items, held (a cow_vector copy shares the payload, and a payload two holders
// share is never changed): a tree whose leaves hold equal items, leaf by leaf, as in an earlier check
// is not checked again. Comparing them costs nothing for a leaf whose payload is the kept one (a
// snapshot no execution changed, even after relocation moved its blocks: a COW that keeps the items
// keeps their payload) and a comparison of the items for one an execution rewrote (the writer's
// leaves, often with the same items as in an earlier execution). Exactly the same output either way.
struct fs_tree_check_key {
  uint64_t root = 0;
  std::string prefix;
  std::vector<cow_vector<btrfs_item>> leaves;
  bool operator==(const fs_tree_check_key&) const = default;
};
struct fs_tree_check_result {
  std::vector<std::string> problems;
  std::vector<fsck::subvol_link> links;
};
constexpr size_t kFsTreeCheckCache = 8;

void check_fs_tree(uint64_t root_id, const std::vector<tree_block_ptr>& leaves, problem_list& out,
                   std::vector<fsck::subvol_link>& links) {
  thread_local std::vector<std::pair<fs_tree_check_key, fs_tree_check_result>> cache;  // least recently used first
  fs_tree_check_key key{root_id, out.prefix, {}};
  key.leaves.reserve(leaves.size());
  for (const auto& b : leaves) key.leaves.push_back(b->items);
  for (size_t i = 0; i < cache.size(); ++i)
    if (cache[i].first == key) {
      const fs_tree_check_result& r = cache[i].second;
      out.problems.insert(out.problems.end(), r.problems.begin(), r.problems.end());
      links.insert(links.end(), r.links.begin(), r.links.end());
      std::rotate(cache.begin() + std::ptrdiff_t(i), cache.begin() + std::ptrdiff_t(i) + 1, cache.end());
      return;
    }
  const size_t problems_from = out.problems.size(), links_from = links.size();
  fsck::fs_tree_checker fc(root_id, out);
  for (const auto& b : leaves)
    for (const auto& it : b->items) fc.item(it);
  fc.finish(links);
  fs_tree_check_result r{{out.problems.begin() + std::ptrdiff_t(problems_from), out.problems.end()},
                         {links.begin() + std::ptrdiff_t(links_from), links.end()}};
  if (cache.size() >= kFsTreeCheckCache) cache.erase(cache.begin());
  cache.emplace_back(std::move(key), std::move(r));
}

}  // namespace

std::vector<std::string> btrfs_check_committed(const btrfs_fs_info& fs, fsck_scope scope) {
  return fsck::check_committed(fs, scope, nullptr);
}

std::vector<std::string> fsck::check_committed(const btrfs_fs_info& fs, fsck_scope scope,
                                               const fsck::verified_blocks* verified) {
  problem_list out;
  out.prefix = "on disk: ";
  disk_checker c(fs, out);
  c.pre_verified = verified;
  const btrfs_root& tree_root = *fs.roots.at(BTRFS_ROOT_TREE_OBJECTID);
  const btrfs_root& chunk_root = *fs.roots.at(BTRFS_CHUNK_TREE_OBJECTID);
  c.super_generation = fs.generation;
  // The super block's sys_chunk_array as the last commit wrote it: the system chunks to read the chunk
  // tree with (a system chunk allocated or removed since is not on disk yet).
  for (const auto& [logical, map] : fs.super_sys_chunk_array) c.chunks[logical] = map;
  std::map<uint64_t, committed_chunk> chunk_items;
  c.add_tree_ref(chunk_root.commit_root, {0, BTRFS_CHUNK_TREE_OBJECTID, 0, 0});  // the super block's chunk_root
  c.walk(BTRFS_CHUNK_TREE_OBJECTID, chunk_root.commit_root, chunk_root.commit_root_gen, true,
         chunk_root.commit_root_level, nullptr, [&](const btrfs_item& it) {
           if (it.key.type == BTRFS_CHUNK_ITEM_KEY) {
             const auto& ch = std::get<btrfs_chunk>(it.value);
             chunk_items[it.key.offset] = map_lookup_from_chunk(it.key.offset, ch);
           } else if (it.key.type == BTRFS_DEV_ITEM_KEY) {
             c.dev_items[it.key.offset] = std::get<btrfs_dev_item>(it.value);
           }
         });
  for (const auto& [logical, ch] : c.chunks)
    if (!chunk_items.count(logical)) out.problem("system chunk {} of the super block has no chunk item", logical);
  c.chunks = std::move(chunk_items);
  // The super block's root: the root tree, then every tree its root items point at.
  c.add_tree_ref(tree_root.commit_root, {0, BTRFS_ROOT_TREE_OBJECTID, 0, 0});
  c.walk(BTRFS_ROOT_TREE_OBJECTID, tree_root.commit_root, tree_root.commit_root_gen, true, tree_root.commit_root_level,
         nullptr, [&](const btrfs_item& it) { c.collect(BTRFS_ROOT_TREE_OBJECTID, it); });
  std::set<uint64_t> root_ids{BTRFS_ROOT_TREE_OBJECTID, BTRFS_CHUNK_TREE_OBJECTID};
  for (const auto& [id, ri] : c.root_items) root_ids.insert(id);
  std::vector<fsck::subvol_link> dir_links;
  for (const auto& [id, ri] : c.root_items) {
    if (id == BTRFS_CHUNK_TREE_OBJECTID) continue;  // read from the super block's chunk_root above
    c.add_tree_ref(ri.bytenr, {0, id, 0, 0});
    c.walk(id, ri.bytenr, ri.generation, false, ri.level, nullptr, [&, root = id](const btrfs_item& it) { c.collect(root, it); });
    const bool fs_tree = id == BTRFS_FS_TREE_OBJECTID || (id >= BTRFS_FIRST_FREE_OBJECTID && id <= BTRFS_LAST_FREE_OBJECTID);
    if (!fs_tree || scope == fsck_scope::trees) continue;
    std::vector<tree_block_ptr> leaves;
    c.collect_leaves(ri.bytenr, ri.level, leaves);
    check_fs_tree(id, leaves, out, dir_links);
  }
  c.check_extents();
  c.check_devices();
  if (scope == fsck_scope::filesystem) fsck::check_root_refs(out, c.root_refs, c.root_backrefs, dir_links, root_ids);
  c.check_csums();
  return std::move(out.problems);
}

}  // namespace fsrace::model
