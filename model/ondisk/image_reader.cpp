#include "model/ondisk/image_reader.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "model/ondisk/item_parse.hpp"
#include "model/ondisk/le_reader.hpp"
#include "model/ondisk/tree_block_bytes.hpp"
#include "model/volumes.hpp"

namespace fsrace::model::ondisk {
namespace {

constexpr int kMaxLevel = 8;  // BTRFS_MAX_LEVEL

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

// The features the super block names that the model does not model, refused by name.
void check_features(const parsed_super& p, const std::string& what) {
  if (const uint64_t ro = p.compat_ro_flags) {
    std::string names;
    if (ro & 1) names += " FREE_SPACE_TREE";
    if (ro & 2) names += " FREE_SPACE_TREE_VALID";
    if (ro & 4) names += " VERITY";
    if (ro & 8) names += " BLOCK_GROUP_TREE";
    throw unsupported(fmt::format("{}: compat_ro features {}{} are not modelled (no free space tree: make the image with "
                                  "mkfs.btrfs -R ^free-space-tree)", what, hex(ro), names));
  }
  if (const uint64_t extra = p.incompat_flags & ~kSupportedIncompat)
    throw unsupported(fmt::format("{}: incompat features {} are not modelled (the model's are {}: mixed backref, "
                                  "extended iref, skinny metadata, no holes)", what, hex(extra), hex(kSupportedIncompat)));
  if ((p.incompat_flags & kSupportedIncompat) != kSupportedIncompat)
    throw unsupported(fmt::format("{}: incompat features {} lack some of {} (old-style extent items or holes are not "
                                  "modelled)", what, hex(p.incompat_flags), hex(kSupportedIncompat)));
  if (p.flags & BTRFS_SUPER_FLAG_SEEDING)
    throw unsupported(fmt::format("{}: a seed device (BTRFS_SUPER_FLAG_SEEDING) is not modelled", what));
  if (p.flags & (BTRFS_SUPER_FLAG_CHANGING_FSID | BTRFS_SUPER_FLAG_CHANGING_FSID_V2))
    throw unsupported(fmt::format("{}: an fsid change (btrfstune -u/-m) was interrupted; finish it first", what));
  if (p.log_root)
    throw unsupported(fmt::format("{}: a log tree at {} waits to be replayed (mount the filesystem once first)", what, p.log_root));
  if (p.fields.sectorsize != 4096)
    throw unsupported(fmt::format("{}: sector size {} (the model's is 4096)", what, p.fields.sectorsize));
  const uint32_t ns = p.fields.nodesize;
  if (ns < 4096 || ns > 65536 || (ns & (ns - 1))) throw malformed(fmt::format("{}: node size {}", what, ns));
}

class reader {
 public:
  reader(const std::vector<device_image_source>& devices, image_contents& out) : devices_(devices), out_(out) {}

  void use_chunks(const std::map<uint64_t, btrfs_chunk>& chunks) {
    maps_.clear();
    for (const auto& [logical, c] : chunks) maps_[logical] = map_lookup_from_chunk(logical, c);
  }

  // The block at `bytenr` from the first mirror whose bytes parse (read repair: a damaged copy is passed).
  std::vector<uint8_t> block_bytes(uint64_t bytenr, tree_block* parsed, bool header_only) {
    const uint32_t ns = out_.super.fields.nodesize;
    auto it = maps_.upper_bound(bytenr);
    if (it == maps_.begin() || bytenr + ns > std::prev(it)->second.start + std::prev(it)->second.length)
      throw malformed(fmt::format("tree block {} lies in no chunk", bytenr));
    const chunk_map& m = std::prev(it)->second;
    std::string errors;
    for (int mirror = 1; mirror <= map_num_copies(m); ++mirror) {
      const stripe_piece p = map_stripe_piece(m, bytenr - m.start, mirror);
      const uint64_t devid = m.stripes[p.index].devid;
      auto src = out_.source_of_devid.find(devid);
      if (src == out_.source_of_devid.end()) throw malformed(fmt::format("chunk {} has a stripe on devid {}, which no image is", m.start, devid));
      const device_image_source& d = devices_[src->second];
      if (p.len < ns) throw unsupported(fmt::format("tree block {} crosses a stripe boundary", bytenr));
      const std::string what = fmt::format("{}: tree block {} (mirror {}, physical {})", d.name, bytenr, mirror, p.physical);
      if (p.physical + ns > d.size) {
        errors += fmt::format("; {}: past the end of the image", what);
        continue;
      }
      std::vector<uint8_t> bytes = d.read(p.physical, ns);
      try {
        tree_block b = header_only ? parse_header(bytes, what) : parse_tree_block(bytes, ns, out_.identity, what);
        if (b.header.bytenr != bytenr) throw malformed(fmt::format("{}: its header says bytenr {}", what, b.header.bytenr));
        if (parsed) *parsed = std::move(b);
        return bytes;
      } catch (const malformed& e) {
        errors += std::string("; ") + e.what();
      }
    }
    throw malformed(fmt::format("no copy of tree block {} is good{}", bytenr, errors));
  }

  // Walks the tree, checking each child against its key pointer (bytenr, generation, level, first key).
  void walk(const image_tree& t, const std::function<void(const btrfs_item&)>& on_item) {
    struct frame {
      uint64_t bytenr, generation;
      int level;
      std::optional<btrfs_key> first_key;
    };
    std::vector<frame> stack{{t.bytenr, t.generation, t.level, std::nullopt}};
    while (!stack.empty()) {  // bounded: every block is walked once (a shared block is only checked again)
      const frame f = stack.back();
      stack.pop_back();
      if (auto seen = out_.blocks.find(f.bytenr); seen != out_.blocks.end()) {
        check_shared(t, f.bytenr, f.generation, f.level, f.first_key, *seen->second);
        continue;
      }
      walked_by_[f.bytenr] = t.root_id;
      tree_block b;
      std::vector<uint8_t> bytes = block_bytes(f.bytenr, &b, false);
      const std::string what = fmt::format("tree block {} of tree {}", f.bytenr, t.root_id);
      if (b.header.generation != f.generation)
        throw malformed(fmt::format("{}: parent transid verify failed: wanted {} found {}", what, f.generation, b.header.generation));
      if (b.header.level != f.level) throw malformed(fmt::format("{}: level {}, expected {}", what, b.header.level, f.level));
      if (b.header.level >= kMaxLevel)  // the tree checker's bound: a deeper tree is corrupt
        throw malformed(fmt::format("{}: level {}, at most {}", what, b.header.level, kMaxLevel - 1));
      if (b.header.generation > out_.super.fields.generation)
        throw malformed(fmt::format("{}: generation {} is newer than the super block's {}", what, b.header.generation,
                                    out_.super.fields.generation));
      if (f.first_key && b.nritems() > 0 && !(b.key_at(0) == *f.first_key))
        throw malformed(fmt::format("{}: first key {}, its parent says {}", what, to_string(b.key_at(0)), to_string(*f.first_key)));
      for (uint32_t i = 1; i < b.nritems(); ++i)
        if (!(b.key_at(i - 1) < b.key_at(i))) throw malformed(fmt::format("{}: keys out of order at slot {}", what, i));
      if (b.is_leaf()) {
        note_uuids(bytes, b);
        for (const auto& it : b.items) on_item(it);
      } else {
        for (auto p = b.ptrs.rbegin(); p != b.ptrs.rend(); ++p) stack.push_back({p->blockptr, p->generation, f.level - 1, p->key});
      }
      out_.block_bytes[f.bytenr] = std::move(bytes);
      out_.blocks[f.bytenr] = std::make_shared<const tree_block>(std::move(b));
    }
  }

 private:
  static bool is_subvolume(uint64_t id) {
    return id == BTRFS_FS_TREE_OBJECTID || (id >= BTRFS_FIRST_FREE_OBJECTID && id <= BTRFS_LAST_FREE_OBJECTID);
  }

  // A block reached again from another tree (a snapshot shares its source's blocks): only subvolume
  // trees share, and the pointer must agree with the block as read the first time.
  void check_shared(const image_tree& t, uint64_t bytenr, uint64_t generation, int level,
                    const std::optional<btrfs_key>& first_key, const tree_block& b) {
    const uint64_t first = walked_by_.at(bytenr);
    const std::string what = fmt::format("tree block {} of trees {} and {}", bytenr, first, t.root_id);
    if (!is_subvolume(first) || !is_subvolume(t.root_id) || first == t.root_id)
      throw malformed(fmt::format("{}: reached twice (only subvolume trees share blocks, each once)", what));
    if (b.header.generation != generation)
      throw malformed(fmt::format("{}: parent transid verify failed: wanted {} found {}", what, generation, b.header.generation));
    if (b.header.level != level) throw malformed(fmt::format("{}: level {}, expected {}", what, b.header.level, level));
    if (first_key && b.nritems() > 0 && !(b.key_at(0) == *first_key))
      throw malformed(fmt::format("{}: first key {}, its parent says {}", what, to_string(b.key_at(0)), to_string(*first_key)));
  }

  std::map<uint64_t, uint64_t> walked_by_;  // block -> the tree it was first walked in

  // The uuids the model's items leave out (btrfs_dev_item.uuid, btrfs_root_item.uuid), kept in the
  // identity so that what the model writes back names the same devices and subvolumes.
  void note_uuids(const std::vector<uint8_t>& bytes, const tree_block& b) {
    const le_reader r(bytes, "leaf");
    for (uint32_t i = 0; i < b.nritems(); ++i) {
      const btrfs_key& key = b.items[i].key;
      const size_t body = BTRFS_HEADER_SIZE + r.u32(BTRFS_HEADER_SIZE + BTRFS_ITEM_SIZE * size_t(i) + 17);
      if (key.type == BTRFS_DEV_ITEM_KEY) out_.identity.dev_uuids[key.offset] = read_uuid(r, body + 66);
      else if (key.type == BTRFS_ROOT_ITEM_KEY) out_.identity.subvol_uuids[key.objectid] = read_uuid(r, body + 247);
    }
  }

  // A chunk tree block read before the chunk tree uuid is known: its header, for that uuid.
  tree_block parse_header(const std::vector<uint8_t>& bytes, const std::string& what) {
    const le_reader r(bytes, what);
    check_csum(r);
    tree_block b;
    b.header.bytenr = r.u64(48);
    b.header.generation = r.u64(80);
    b.header.owner = r.u64(88);
    b.header.level = r.u8(100);
    return b;
  }

  const std::vector<device_image_source>& devices_;
  image_contents& out_;
  std::map<uint64_t, chunk_map> maps_;
};

// Which trees the model takes.
void check_root_id(uint64_t root_id) {
  const bool known = root_id == BTRFS_EXTENT_TREE_OBJECTID || root_id == BTRFS_DEV_TREE_OBJECTID ||
                     root_id == BTRFS_FS_TREE_OBJECTID || root_id == BTRFS_CSUM_TREE_OBJECTID ||
                     root_id == BTRFS_DATA_RELOC_TREE_OBJECTID || root_id == BTRFS_UUID_TREE_OBJECTID ||
                     (root_id >= BTRFS_FIRST_FREE_OBJECTID && root_id <= BTRFS_LAST_FREE_OBJECTID);
  if (!known)
    throw unsupported(fmt::format("the root tree names tree {} (quota, free space, block group or log trees are not "
                                  "modelled)", root_id));
}

}  // namespace

image_contents read_image(const std::vector<device_image_source>& devices) {
  if (devices.empty()) throw malformed("no device image");
  image_contents out;
  for (size_t i = 0; i < devices.size(); ++i) {
    const device_image_source& d = devices[i];
    const std::string what = fmt::format("{}: super block", d.name);
    if (d.size < BTRFS_SUPER_INFO_OFFSET + BTRFS_SUPER_INFO_SIZE)
      throw malformed(fmt::format("{}: {} bytes, too small to hold a super block", d.name, d.size));
    const parsed_super p = parse_super_block(d.read(BTRFS_SUPER_INFO_OFFSET, BTRFS_SUPER_INFO_SIZE), what);
    check_features(p, what);
    if (p.bytenr != BTRFS_SUPER_INFO_OFFSET) throw malformed(fmt::format("{}: bytenr {}, expected {}", what, p.bytenr, BTRFS_SUPER_INFO_OFFSET));
    // metadata_uuid counts only with the METADATA_UUID incompat feature, refused above: mkfs.btrfs leaves it
    // zero, the export writes the fsid.
    if (p.metadata_uuid != p.fsid && p.metadata_uuid != uuid{})
      throw unsupported(fmt::format("{}: a metadata uuid apart from the fsid", what));
    if (p.dev_fsid != p.fsid) throw malformed(fmt::format("{}: the dev item's fsid is not the filesystem's", what));
    const uint64_t devid = p.fields.dev_item.devid;
    if (p.fields.dev_item.total_bytes > d.size)
      throw malformed(fmt::format("{}: devid {} has {} bytes, the image {}", what, devid, p.fields.dev_item.total_bytes, d.size));
    if (i == 0) {
      out.super = p;
    } else {
      if (p.fsid != out.super.fsid) throw malformed(fmt::format("{}: another filesystem than {} (fsid)", what, devices[0].name));
      if (p.fields.generation != out.super.fields.generation)
        throw malformed(fmt::format("{}: generation {}, {} has {}: the images are of different commits", what,
                                    p.fields.generation, devices[0].name, out.super.fields.generation));
    }
    if (!out.source_of_devid.emplace(devid, i).second)
      throw malformed(fmt::format("{}: devid {} is also {}", what, devid, devices[out.source_of_devid[devid]].name));
  }
  if (out.super.fields.num_devices != devices.size())
    throw malformed(fmt::format("the filesystem has {} devices, {} images were given", out.super.fields.num_devices, devices.size()));
  out.identity.fsid = out.super.fsid;
  reader r(devices, out);
  // The chunk tree through the system chunks, then everything through the chunk tree's chunks. Its
  // first block gives the chunk tree uuid every block carries.
  r.use_chunks(out.super.fields.sys_chunks);
  {
    const std::vector<uint8_t> bytes = r.block_bytes(out.super.fields.chunk_root, nullptr, true);
    std::copy(bytes.begin() + 64, bytes.begin() + 80, out.identity.chunk_tree_uuid.begin());
  }
  const image_tree chunk_tree{BTRFS_CHUNK_TREE_OBJECTID, out.super.fields.chunk_root, out.super.fields.chunk_root_generation,
                              out.super.fields.chunk_root_level};
  out.trees[BTRFS_CHUNK_TREE_OBJECTID] = chunk_tree;
  r.walk(chunk_tree, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_CHUNK_ITEM_KEY) out.chunks[it.key.offset] = std::get<btrfs_chunk>(it.value);
    else if (it.key.type == BTRFS_DEV_ITEM_KEY) out.dev_items[it.key.offset] = std::get<btrfs_dev_item>(it.value);
    else throw unsupported(fmt::format("chunk tree item {}", to_string(it.key)));
  });
  for (const auto& [logical, c] : out.super.fields.sys_chunks)
    if (!out.chunks.count(logical)) throw malformed(fmt::format("system chunk {} of the super block is not in the chunk tree", logical));
  for (const auto& [devid, i] : out.source_of_devid)
    if (!out.dev_items.count(devid)) throw malformed(fmt::format("{}: devid {} has no dev item in the chunk tree", devices[i].name, devid));
  r.use_chunks(out.chunks);
  const image_tree root_tree{BTRFS_ROOT_TREE_OBJECTID, out.super.fields.root, out.super.fields.generation,
                             out.super.fields.root_level};
  out.trees[BTRFS_ROOT_TREE_OBJECTID] = root_tree;
  std::vector<image_tree> named;
  r.walk(root_tree, [&](const btrfs_item& it) {
    // The model's own exports carry a root item for the chunk tree (its commit records every changed root
    // there); the chunk tree is the super block's.
    if (it.key.type != BTRFS_ROOT_ITEM_KEY || it.key.objectid == BTRFS_CHUNK_TREE_OBJECTID) return;
    check_root_id(it.key.objectid);
    const auto& ri = std::get<btrfs_root_item>(it.value);
    named.push_back({it.key.objectid, ri.bytenr, ri.generation, ri.level});
  });
  for (const image_tree& t : named) {
    out.trees[t.root_id] = t;
    r.walk(t, [](const btrfs_item&) {});
  }
  for (uint64_t must : {BTRFS_EXTENT_TREE_OBJECTID, BTRFS_DEV_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, BTRFS_CSUM_TREE_OBJECTID})
    if (!out.trees.count(must)) throw malformed(fmt::format("the root tree has no root item for tree {}", must));
  return out;
}

}  // namespace fsrace::model::ondisk
