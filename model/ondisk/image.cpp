#include "model/ondisk/image.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/ondisk/super_block.hpp"
#include "model/ondisk/open_ctree.hpp"
#include "model/ondisk/tree_block_bytes.hpp"

namespace fsrace::model::ondisk {
namespace {

// The committed trees as a reader of the devices finds them (as model/fsck_disk.cpp reads them): the
// chunk tree through the super block's system chunks, the other trees through the committed chunks.
struct committed_state {
  std::map<uint64_t, btrfs_chunk> chunk_items;  // logical start -> item
  std::map<uint64_t, btrfs_dev_item> dev_items;  // devid -> item
  uint64_t block_groups_used = 0;                // sum of the committed block group items' used
  // Those references: the extent, its length and generation, the inode and file offset naming it.
  struct reloc_ref {
    uint64_t bytenr = 0, len = 0, generation = 0, ino = 0, offset = 0;
  };
  std::vector<reloc_ref> data_reloc_refs;
  std::map<uint64_t, uint64_t> csum_ranges;  // committed data checksums: logical start -> end
};

class committed_reader {
 public:
  explicit committed_reader(const btrfs_fs_info& fs) : fs_(fs) {}

  void use_chunks(std::map<uint64_t, chunk_map> chunks) { chunks_ = std::move(chunks); }

  // The tree block at `bytenr` from its first mirror that holds it.
  tree_block_ptr read(uint64_t bytenr) const {
    auto it = chunks_.upper_bound(bytenr);
    if (it == chunks_.begin()) throw std::logic_error(fmt::format("ondisk: tree block {} is in no committed chunk", bytenr));
    const chunk_map& c = (--it)->second;
    if (bytenr + fs_.nodesize > c.start + c.length)
      throw std::logic_error(fmt::format("ondisk: tree block {} is in no committed chunk", bytenr));
    for (int m = 1; m <= map_num_copies(c); ++m) {
      const stripe_piece p = map_stripe_piece(c, bytenr - c.start, m);
      auto d = fs_.devices.find(c.stripes[p.index].devid);
      if (d == fs_.devices.end() || d->second->missing) continue;
      if (tree_block_ptr b = d->second->bdev.read_tree_block(p.physical); b && b->header.bytenr == bytenr) return b;
    }
    throw std::logic_error(fmt::format("ondisk: no mirror of tree block {} holds it", bytenr));
  }

  // Every leaf item of the tree rooted at `bytenr`, in key order (depth bounded by BTRFS_MAX_LEVEL).
  template <class F> void for_each_item(uint64_t bytenr, F&& f, int depth = 0) const {
    if (depth > 8) throw std::logic_error("ondisk: a tree deeper than BTRFS_MAX_LEVEL");
    tree_block_ptr b = read(bytenr);
    if (b->is_leaf()) {
      for (const auto& it : b->items) f(it);
      return;
    }
    for (const auto& p : b->ptrs) for_each_item(p.blockptr, f, depth + 1);
  }

 private:
  const btrfs_fs_info& fs_;
  std::map<uint64_t, chunk_map> chunks_;
};

committed_state read_committed(const btrfs_fs_info& fs) {
  committed_state st;
  committed_reader r(fs);
  std::map<uint64_t, chunk_map> sys;
  for (const auto& [logical, m] : fs.super_sys_chunk_array) sys[logical] = m;
  r.use_chunks(std::move(sys));
  const btrfs_root& chunk_root = *fs.roots.at(BTRFS_CHUNK_TREE_OBJECTID);
  r.for_each_item(chunk_root.commit_root, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_CHUNK_ITEM_KEY) st.chunk_items[it.key.offset] = std::get<btrfs_chunk>(it.value);
    if (it.key.type == BTRFS_DEV_ITEM_KEY) st.dev_items[it.key.offset] = std::get<btrfs_dev_item>(it.value);
  });
  std::map<uint64_t, chunk_map> all;
  for (const auto& [logical, c] : st.chunk_items) all[logical] = map_lookup_from_chunk(logical, c);
  r.use_chunks(std::move(all));
  uint64_t extent_root = 0, csum_root = 0;
  r.for_each_item(fs.roots.at(BTRFS_ROOT_TREE_OBJECTID)->commit_root, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_ROOT_ITEM_KEY && it.key.objectid == BTRFS_EXTENT_TREE_OBJECTID)
      extent_root = std::get<btrfs_root_item>(it.value).bytenr;
    if (it.key.type == BTRFS_ROOT_ITEM_KEY && it.key.objectid == BTRFS_CSUM_TREE_OBJECTID)
      csum_root = std::get<btrfs_root_item>(it.value).bytenr;
  });
  if (!extent_root) throw std::logic_error("ondisk: the committed root tree has no extent tree root item");
  r.for_each_item(extent_root, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_BLOCK_GROUP_ITEM_KEY) st.block_groups_used += std::get<btrfs_block_group_item>(it.value).used;
    if (it.key.type != BTRFS_EXTENT_ITEM_KEY) return;
    const auto& ei = std::get<btrfs_extent_item>(it.value);
    for (const auto& r : ei.inline_refs)
      if (r.type == BTRFS_EXTENT_DATA_REF_KEY && r.root == BTRFS_DATA_RELOC_TREE_OBJECTID)
        st.data_reloc_refs.push_back({it.key.objectid, it.key.offset, ei.generation, r.objectid, r.offset});
  });
  if (csum_root)
    r.for_each_item(csum_root, [&](const btrfs_item& it) {
      if (it.key.type != BTRFS_EXTENT_CSUM_KEY) return;
      const uint64_t n = std::get<btrfs_csum_item>(it.value).csums.size();
      st.csum_ranges[it.key.offset] = it.key.offset + n * fs.sectorsize;
    });
  return st;
}

super_fields super_of(const btrfs_fs_info& fs, const committed_state& st, uint64_t devid) {
  super_fields f;
  const btrfs_root& tree_root = *fs.roots.at(BTRFS_ROOT_TREE_OBJECTID);
  // update_super_roots: the super block's generation is the tree root's root item's, the generation of
  // the root tree's root block. The kernel COWs that block in every commit (commit_cowonly_roots), so it
  // is the last commit's transid; the model's commit of a transaction that changed no tree leaves the
  // block as it was, and then the generation is the one that last changed it (no block is newer).
  if (tree_root.commit_root_gen > fs.generation)
    throw std::logic_error(fmt::format("ondisk: the root tree's commit root has generation {}, after the last commit {}",
                                       tree_root.commit_root_gen, fs.generation));
  f.generation = tree_root.commit_root_gen;
  const btrfs_root& chunk_root = *fs.roots.at(BTRFS_CHUNK_TREE_OBJECTID);
  f.root = tree_root.commit_root;
  f.root_level = tree_root.commit_root_level;
  f.chunk_root = chunk_root.commit_root;
  f.chunk_root_level = chunk_root.commit_root_level;
  f.chunk_root_generation = chunk_root.commit_root_gen;
  for (const auto& [id, d] : fs.devices) f.total_bytes += d->disk_total_bytes;  // btrfs_super_total_bytes
  f.bytes_used = st.block_groups_used;
  f.num_devices = fs.devices.size();
  f.sectorsize = fs.sectorsize;
  f.nodesize = fs.nodesize;
  auto di = st.dev_items.find(devid);
  if (di == st.dev_items.end()) throw std::logic_error(fmt::format("ondisk: devid {} has no committed dev item", devid));
  f.dev_item = di->second;
  for (const auto& [logical, m] : fs.super_sys_chunk_array) {
    auto c = st.chunk_items.find(logical);
    if (c == st.chunk_items.end())
      throw std::logic_error(fmt::format("ondisk: system chunk {} has no committed chunk item", logical));
    f.sys_chunks[logical] = c->second;
  }
  return f;
}

// The model keeps a root item for the chunk tree in the root tree (its commit bookkeeping); on disk the
// chunk tree is found through the super block only, and btrfs check counts a root item's tree as one
// more reference to its root block. The on-disk root tree leaves it out.
tree_block_ptr on_disk_view(const tree_block_ptr& b, uint64_t root_tree_root) {
  if (!b->is_leaf() || b->header.owner != BTRFS_ROOT_TREE_OBJECTID) return b;
  const btrfs_key chunk_item{BTRFS_CHUNK_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, 0};
  auto it = std::find_if(b->items.begin(), b->items.end(), [&](const btrfs_item& i) { return i.key == chunk_item; });
  if (it == b->items.end()) return b;
  // The extent tree's root item sorts first, so the chunk tree's is slot 0 only of a leaf split there;
  // dropping it would leave that leaf's parent naming a key the leaf no longer has.
  if (it == b->items.begin() && b->header.bytenr != root_tree_root)
    throw unsupported(fmt::format("root tree leaf {} starts with the chunk tree's root item", b->header.bytenr));
  auto copy = std::make_shared<tree_block>(*b);
  copy->items.erase(copy->items.begin() + (it - b->items.begin()));
  return copy;
}

bool has_csums(const committed_state& st, uint64_t start, uint64_t end) {
  for (auto it = st.csum_ranges.upper_bound(start); start < end;) {
    if (it == st.csum_ranges.begin() || std::prev(it)->second <= start) return false;
    start = std::prev(it)->second;
    it = st.csum_ranges.upper_bound(start);
  }
  return true;
}

// The data relocation inode on disk. The model keeps it in memory (its extents' references are in the
// extent tree, its items are not in the data reloc tree); a committed state inside a relocation holds,
// in the kernel, what create_reloc_inode, prealloc_file_extent_cluster and the cluster's writeback put
// in the data reloc tree: the inode (S_IFREG 0600, nlink 0, NOCOMPRESS | PREALLOC, __insert_orphan_inode)
// with its orphan item (btrfs_orphan_add), one file extent item per reference at file offset
// bytenr - group start: written (with checksums) or still preallocated. Added to the tree's root leaf.
tree_block_ptr with_data_reloc_inode(const tree_block_ptr& b, const committed_state& st, uint32_t nodesize) {
  std::map<uint64_t, btrfs_inode_item> inodes;
  std::vector<btrfs_item> items;
  for (const auto& r : st.data_reloc_refs) {
    btrfs_inode_item& ii = inodes[r.ino];
    if (!ii.generation || r.generation < ii.generation) ii.generation = ii.transid = r.generation;
    ii.nlink = 0;
    ii.mode = 0100600;
    ii.flags = BTRFS_INODE_NOCOMPRESS | BTRFS_INODE_PREALLOC;
    ii.size = std::max(ii.size, r.offset + r.len);
    ii.nbytes += r.len;
    btrfs_file_extent_item fe;
    fe.generation = r.generation;
    fe.ram_bytes = fe.disk_num_bytes = fe.num_bytes = r.len;
    fe.disk_bytenr = r.bytenr;
    fe.type = has_csums(st, r.bytenr, r.bytenr + r.len) ? BTRFS_FILE_EXTENT_REG : BTRFS_FILE_EXTENT_PREALLOC;
    items.push_back({{r.ino, BTRFS_EXTENT_DATA_KEY, r.offset}, fe});
  }
  for (const auto& [ino, ii] : inodes) {
    items.push_back({{ino, BTRFS_INODE_ITEM_KEY, 0}, ii});
    items.push_back({{BTRFS_ORPHAN_OBJECTID, BTRFS_ORPHAN_ITEM_KEY, ino}, btrfs_opaque_item{}});
  }
  if (!b->is_leaf())
    throw unsupported(fmt::format("the data relocation tree has more than one block ({} items of the relocation inode to "
                                  "add)", items.size()));
  auto copy = std::make_shared<tree_block>(*b);
  for (auto& it : items) {
    if (std::any_of(copy->items.begin(), copy->items.end(), [&](const btrfs_item& x) { return x.key == it.key; }))
      throw unsupported(fmt::format("the data relocation tree already holds {} (two relocations' inodes at one offset)", to_string(it.key)));
    copy->items.push_back(std::move(it));
  }
  std::sort(copy->items.begin(), copy->items.end(), [](const btrfs_item& x, const btrfs_item& y) { return x.key < y.key; });
  if (copy->leaf_used_bytes() > leaf_data_size(nodesize))
    throw unsupported(fmt::format("the data relocation inode's {} items do not fit the data relocation tree's leaf",
                                  items.size()));
  return copy;
}

// A block of an imported filesystem whose content nothing changed: the bytes it was read from (which keep
// what the model does not, such as inode times); any other block: the model's serialisation.
std::vector<uint8_t> as_read_or_serialised(const imported_image* imported, const tree_block& b, uint32_t nodesize,
                                           const fs_identity& id) {
  if (imported) {
    auto it = imported->blocks.find(b.header.bytenr);
    if (it != imported->blocks.end() && it->second.content_csum == b.content_csum()) return it->second.bytes;
  }
  return tree_block_bytes(b, nodesize, id);
}

}  // namespace

void check_exportable(const btrfs_fs_info& fs) {
  // Between switch_commit_roots and write_all_supers the commit roots are the new transaction's, but its
  // tree blocks are not all written and the super block on the devices still names the previous roots.
  for (const auto& [id, root] : fs.roots)
    if (root->commit_root_gen > fs.generation)
      throw unsupported(fmt::format("the commit of transaction {} has switched the commit roots but not yet written the "
                                    "super block (between switch_commit_roots and write_all_supers): the devices' super "
                                    "block still names the roots of transaction {}, which the model no longer keeps",
                                    root->commit_root_gen, fs.generation));
  for (const auto& [devid, d] : fs.devices) {
    if (d->missing) throw unsupported(fmt::format("devid {} is missing (a degraded filesystem)", devid));
    if (d->is_tgtdev_for_dev_replace) throw unsupported(fmt::format("devid {} is the target of a running device replace", devid));
    for (int m = 0; m < BTRFS_SUPER_MIRROR_MAX; ++m)
      if (btrfs_sb_offset(m) + BTRFS_SUPER_INFO_SIZE <= d->total_bytes && d->bdev.written(btrfs_sb_offset(m)))
        throw std::logic_error(fmt::format("model error: devid {} holds data or a tree block at {}, where super block copy "
                                           "{} lives (exclude_super_stripes keeps every block group off it)",
                                           devid, btrfs_sb_offset(m), m));
  }
}

const fs_identity& own_identity(const btrfs_fs_info& fs) { return fs.imported ? fs.imported->identity : fixed_identity(); }

void write_device_image(const btrfs_fs_info& fs, uint64_t devid, const region_sink& write, const fs_identity* id_or_own) {
  check_exportable(fs);
  const fs_identity& id = id_or_own ? *id_or_own : own_identity(fs);
  // The images' bytes of a block are theirs only under their own fsid and uuids.
  const imported_image* imported = fs.imported && &id == &fs.imported->identity ? fs.imported.get() : nullptr;
  const committed_state st = read_committed(fs);
  // The super block's num_devices is the device list's size: a device add or remove not yet committed
  // leaves the committed device items naming another set.
  bool same_set = st.dev_items.size() == fs.devices.size();
  for (const auto& [id, d] : fs.devices) same_set = same_set && st.dev_items.count(id);
  if (!same_set)
    throw unsupported("a device add or remove has changed the device list but not committed yet: the committed "
                      "device items name another set of devices");
  const btrfs_device& dev = *fs.devices.at(devid);
  std::vector<uint64_t> supers;
  for (int m = 0; m < BTRFS_SUPER_MIRROR_MAX; ++m)
    if (btrfs_sb_offset(m) + BTRFS_SUPER_INFO_SIZE <= dev.total_bytes) supers.push_back(btrfs_sb_offset(m));
  const super_fields sf = super_of(fs, st, devid);
  size_t next_super = 0;
  auto supers_before = [&](uint64_t physical) {
    for (; next_super < supers.size() && supers[next_super] < physical; ++next_super)
      write(supers[next_super], super_block_bytes(sf, int(next_super), id));
  };
  const uint64_t root_tree_root = fs.roots.at(BTRFS_ROOT_TREE_OBJECTID)->commit_root;
  const auto reloc_tree = fs.roots.find(BTRFS_DATA_RELOC_TREE_OBJECTID);
  const uint64_t data_reloc_root = reloc_tree == fs.roots.end() ? 0 : reloc_tree->second->commit_root;
  const tree_block* last = nullptr;  // the sectors of one tree block image come one after another
  std::vector<uint8_t> last_bytes;
  dev.bdev.for_each_sector([&](uint64_t physical, const sector& s) {
    supers_before(physical);
    if (s.data) {
      write(physical, *s.data);
      return;
    }
    if (s.tree.get() != last) {
      last = s.tree.get();
      tree_block_ptr view = on_disk_view(s.tree, root_tree_root);
      if (view->header.bytenr == data_reloc_root && !st.data_reloc_refs.empty())
        view = with_data_reloc_inode(view, st, fs.nodesize);
      last_bytes = as_read_or_serialised(imported, *view, fs.nodesize, id);
    }
    write(physical, std::span<const uint8_t>(last_bytes).subspan(size_t(s.tree_part) * SECTORSIZE, SECTORSIZE));
  });
  supers_before(~0ull);
}

}  // namespace fsrace::model::ondisk
