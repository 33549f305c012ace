#include "model/ondisk/open_ctree.hpp"

#include <algorithm>
#include <bit>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/chunk_item.hpp"
#include "model/data/csum.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/dir_index.hpp"
#include "model/data/inode.hpp"
#include "model/data/subvol_inodes.hpp"
#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/le_reader.hpp"
#include "model/ondisk/super_block.hpp"

namespace fsrace::model::ondisk {
namespace {

constexpr uint32_t S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000;
constexpr uint64_t kCopyChunk = 1 << 20;  // data is copied a MiB at a time

bool is_subvolume(uint64_t id) {
  return id == BTRFS_FS_TREE_OBJECTID || (id >= BTRFS_FIRST_FREE_OBJECTID && id <= BTRFS_LAST_FREE_OBJECTID);
}

const map_lookup& chunk_of(const btrfs_fs_info& fs, uint64_t logical, uint64_t len, const char* what) {
  auto it = fs.mapping_tree.upper_bound(logical);
  if (it == fs.mapping_tree.begin() || logical + len > std::prev(it)->second->start + std::prev(it)->second->length)
    throw malformed(fmt::format("{} at {} ({} bytes) lies in no chunk", what, logical, len));
  return *std::prev(it)->second;
}

template <class M> std::vector<uint64_t> keys(const M& m) {
  std::vector<uint64_t> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

class mounter {
 public:
  mounter(const std::vector<device_image_source>& devices, image_contents& c, btrfs_fs_info& fs)
      : devices_(devices), c_(c), fs_(fs) {}

  // btrfs-image keeps metadata only: the restored images hold no data (zeroes, or whatever the target
  // held), while the csum tree still has the checksums of the data. The import makes the data read as
  // zeroes: every data sector zero, and every data checksum that of a zero sector (the csum tree's
  // leaves are then the model's, rewritten on export; the kernel would fail those reads with -EIO).
  void metadump_data_as_zeroes() {
    if (!(c_.super.flags & (BTRFS_SUPER_FLAG_METADUMP | BTRFS_SUPER_FLAG_METADUMP_V2))) return;
    metadump_ = true;
    const std::vector<uint8_t> zero(c_.super.fields.sectorsize, 0);
    const uint32_t zero_csum = btrfs_csum_sector(zero);
    for (auto& [bytenr, block] : c_.blocks) {
      if (block->header.owner != BTRFS_CSUM_TREE_OBJECTID || !block->is_leaf()) continue;
      auto copy = std::make_shared<tree_block>(*block);
      for (auto& it : copy->items)
        if (auto* ci = std::get_if<btrfs_csum_item>(&it.value)) std::fill(ci->csums.begin(), ci->csums.end(), zero_csum);
      copy->header.csum = copy->content_csum();
      block = std::move(copy);
      c_.block_bytes.erase(bytenr);  // not the bytes the images hold any more
    }
  }

  void devices_and_chunks() {
    fs_.sectorsize = c_.super.fields.sectorsize;
    fs_.nodesize = c_.super.fields.nodesize;
    for (uint64_t type : {BTRFS_BLOCK_GROUP_DATA, BTRFS_BLOCK_GROUP_METADATA, BTRFS_BLOCK_GROUP_SYSTEM}) {
      btrfs_space_info s;
      s.flags = type;
      fs_.space_info.push_back(std::move(s));
    }
    uint64_t expect = 1;
    for (const auto& [devid, item] : c_.dev_items) {
      // A scenario names devices by index: device i is devid i + 1, as the model's mkfs numbers them.
      if (devid != expect++)
        throw unsupported(fmt::format("devids {}: the model numbers devices 1 to N (a filesystem that lost a device to "
                                      "btrfs device remove has a gap)", fmt::join(keys(c_.dev_items), ", ")));
      auto src = c_.source_of_devid.find(devid);
      if (src == c_.source_of_devid.end()) throw malformed(fmt::format("the chunk tree names devid {}, which no image is", devid));
      const device_image_source& image = devices_[src->second];
      if (item.total_bytes > image.size || item.total_bytes % fs_.sectorsize)
        throw malformed(fmt::format("{}: devid {} has {} bytes, the image {}", image.name, devid, item.total_bytes, image.size));
      auto d = std::make_shared<btrfs_device>();
      d->devid = devid;
      d->total_bytes = d->disk_total_bytes = item.total_bytes;
      d->bytes_used = item.bytes_used;
      d->bdev = block_device(fmt::format("dev{}", devid), item.total_bytes);
      fs_.add_device(d);
    }
    for (const auto& [logical, chunk] : c_.chunks) {
      const uint64_t profile = chunk.type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
      if (profile != 0 && profile != BTRFS_BLOCK_GROUP_DUP && profile != BTRFS_BLOCK_GROUP_RAID1 &&
          profile != BTRFS_BLOCK_GROUP_RAID10)
        throw unsupported(fmt::format("chunk {}: profile {:#x} is not modelled (single, dup, raid1 and raid10 are)", logical,
                                      profile));
      if ((chunk.type & BTRFS_BLOCK_GROUP_TYPE_MASK) == 0 ||
          std::popcount(chunk.type & BTRFS_BLOCK_GROUP_TYPE_MASK) != 1)
        throw unsupported(fmt::format("chunk {}: type {:#x} (mixed data and metadata groups are not modelled)", logical, chunk.type));
      for (const auto& s : chunk.stripes) {
        auto d = fs_.devices.find(s.devid);
        if (d == fs_.devices.end()) throw malformed(fmt::format("chunk {} has a stripe on devid {}, which has no dev item", logical, s.devid));
      }
      map_lookup_ptr map = map_lookup_from_chunk(fs_, logical, chunk);
      for (const auto& s : chunk.stripes)
        if (s.offset + map_stripe_size(*map) > fs_.devices.at(s.devid)->total_bytes)
          throw malformed(fmt::format("chunk {}: its stripe on devid {} at {} ends past the device", logical, s.devid, s.offset));
      fs_.mapping_tree[logical] = map;
      if (c_.super.fields.sys_chunks.count(logical)) {  // super_copy's sys_chunk_array, and the last commit's
        fs_.super_sys_chunk_array[logical] = map_lookup_from_chunk(logical, chunk);
        const uint32_t entry = BTRFS_DISK_KEY_SIZE + btrfs_chunk_item_size(int(chunk.stripes.size()));
        fs_.sys_chunk_array[logical] = entry;
        fs_.sys_array_size += entry;
      }
    }
  }

  // Every tree block in the buffer cache and on each of its mirrors, and each root where its item says.
  void roots_and_blocks() {
    for (const auto& [bytenr, block] : c_.blocks) {
      fs_.buffer_radix.put(bytenr, block);
      const map_lookup& map = chunk_of(fs_, bytenr, fs_.nodesize, "tree block");
      for (int mirror = 1; mirror <= map_num_copies(map); ++mirror) {
        const stripe_piece p = map_stripe_piece(map, bytenr - map.start, mirror);
        fs_.dev(map.stripes[p.index].dev).bdev.write_tree_block(p.physical, block, fs_.nodesize);
      }
    }
    std::map<uint64_t, btrfs_root_item> items;
    btrfs_for_each_item(fs_, *root_at(BTRFS_ROOT_TREE_OBJECTID), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_ROOT_ITEM_KEY) items[it.key.objectid] = std::get<btrfs_root_item>(it.value);
      // A subvolume or snapshot is known by the name of its entry (ROOT_BACKREF: child, parent).
      if (it.key.type == BTRFS_ROOT_BACKREF_KEY)
        fs_.root_send_info[it.key.objectid].name = std::get<btrfs_root_ref>(it.value).name;
      return true;
    });
    for (const auto& [id, t] : c_.trees) {
      btrfs_root& root = *root_at(id);
      if (auto it = items.find(id); it != items.end()) root.root_item = it->second;
      root.last_trans = t.generation;
      root.ref_cows = is_subvolume(id);
      if (is_subvolume(id)) fs_.highest_root_objectid = std::max(fs_.highest_root_objectid, id);
    }
  }

  // read_one_block_group for every block group item: free space is what no extent item covers, less the
  // super block stripes; an empty group goes on unused_bgs (6.1, no async discard).
  void block_groups() {
    std::map<uint64_t, uint64_t> extents;  // start -> length
    struct group_item {
      uint64_t start, length;
      btrfs_block_group_item item;
    };
    std::vector<group_item> groups;
    btrfs_for_each_item(fs_, fs_.extent_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_EXTENT_ITEM_KEY) extents[it.key.objectid] = it.key.offset;
      else if (it.key.type == BTRFS_METADATA_ITEM_KEY) extents[it.key.objectid] = fs_.nodesize;
      else if (it.key.type == BTRFS_BLOCK_GROUP_ITEM_KEY)
        groups.push_back({it.key.objectid, it.key.offset, std::get<btrfs_block_group_item>(it.value)});
      return true;
    });
    for (const auto& [start, length, item] : groups) {
      auto map = fs_.mapping_tree.find(start);
      if (map == fs_.mapping_tree.end() || map->second->length != length)
        throw malformed(fmt::format("block group {} ({} bytes) has no chunk of that length", start, length));
      if (item.flags != map->second->type)
        throw malformed(fmt::format("block group {}: flags {:#x}, its chunk's type {:#x}", start, item.flags, map->second->type));
      auto bg = std::make_shared<btrfs_block_group_cache>();
      bg->start = start;
      bg->length = length;
      bg->flags = item.flags;
      bg->used = item.used;
      uint64_t at = start, used = 0;
      for (auto e = extents.lower_bound(start); e != extents.end() && e->first < bg->end(); ++e) {
        if (e->first < at || e->first + e->second > bg->end())
          throw malformed(fmt::format("extent {} ({} bytes) overlaps another or crosses the end of block group {}", e->first,
                                      e->second, start));
        if (e->first > at) bg->free_space[at] = e->first - at;
        at = e->first + e->second;
        used += e->second;
      }
      if (at < bg->end()) bg->free_space[at] = bg->end() - at;
      if (used != item.used)
        throw malformed(fmt::format("block group {}: used {} but its extents add up to {}", start, item.used, used));
      check_super_stripes_free(*bg);
      exclude_super_stripes(fs_, *bg);
      fs_.block_group_cache_tree[start] = bg;
      btrfs_space_info& sinfo = btrfs_find_space_info(fs_, bg->flags);  // btrfs_add_bg_to_space_info
      sinfo.total_bytes += bg->length;
      sinfo.bytes_used += bg->used;
      sinfo.bytes_readonly += bg->bytes_super;
      sinfo.block_groups.push_back(start);
      set_avail_alloc_bits(bg->flags);
      if (bg->used == 0) btrfs_mark_bg_unused(fs_, *bg);  // every chunk is writable: no device is missing
    }
    for (const auto& [logical, map] : fs_.mapping_tree)
      if (!fs_.block_group_cache_tree.count(logical)) throw malformed(fmt::format("chunk {} has no block group item", logical));
    for (const char* kind : {"data", "metadata", "system"})
      if (!fs_.profiles.count(kind)) throw malformed(fmt::format("no {} block group", kind));
  }

  // Every sector of every data extent, on each mirror, as the images hold it.
  void data_sectors() {
    btrfs_for_each_item(fs_, fs_.extent_root(), {0, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type != BTRFS_EXTENT_ITEM_KEY || !(std::get<btrfs_extent_item>(it.value).flags & BTRFS_EXTENT_FLAG_DATA))
        return true;
      const map_lookup& map = chunk_of(fs_, it.key.objectid, it.key.offset, "data extent");
      for (int mirror = 1; mirror <= map_num_copies(map); ++mirror) {
        for (uint64_t off = it.key.objectid - map.start, end = off + it.key.offset; off < end;) {
          const stripe_piece p = map_stripe_piece(map, off, mirror);
          const uint64_t n = std::min({p.len, end - off, kCopyChunk});
          const uint64_t devid = fs_.dev(map.stripes[p.index].dev).devid;
          const std::vector<uint8_t> bytes = metadump_ ? std::vector<uint8_t>(n, 0) : devices_[c_.source_of_devid.at(devid)].read(p.physical, n);
          fs_.devices.at(devid)->bdev.write(p.physical, bytes);
          off += n;
        }
      }
      return true;
    });
  }

  // Each subvolume's top directory and files, as btrfs_lookup and btrfs_iget read them, and the data
  // oracle's view of every file: its bytes as the images hold them, durable.
  void subvolumes() {
    const uint32_t op = oracle_note_op(fs_, "the imported image");
    for (const auto& [id, root] : fs_.roots) {
      if (!is_subvolume(id)) continue;
      if (root->root_item.root_dirid != BTRFS_FIRST_FREE_OBJECTID)
        throw unsupported(fmt::format("subvolume {}: top directory {} (the model's is 256)", id, root->root_item.root_dirid));
      check_subvolume_layout(id);
      btrfs_load_subvol_inodes(fs_, id);
      for (const auto& [key, inode] : fs_.inode_cache)
        if (key.first == id) expect_file_contents(*inode, op);
    }
    oracle_make_durable(fs_, nullptr, op + 1);
  }

 private:
  std::shared_ptr<btrfs_root>& root_at(uint64_t id) {
    std::shared_ptr<btrfs_root>& root = fs_.roots[id];
    if (!root) {
      const image_tree& t = c_.trees.at(id);
      root = std::make_shared<btrfs_root>();
      root->objectid = id;
      root->node = root->commit_root = t.bytenr;
      root->level = root->commit_root_level = t.level;
      root->commit_root_gen = t.generation;
    }
    return root;
  }

  // The extents must leave the super block copies alone (the kernel's allocator never hands them out).
  void check_super_stripes_free(const btrfs_block_group_cache& bg) {
    const map_lookup& map = *fs_.mapping_tree.at(bg.start);
    for (int i = 0; i < BTRFS_SUPER_MIRROR_MAX; ++i) {
      uint64_t stripe_len = 0;
      for (uint64_t logical : btrfs_rmap_block(map, btrfs_sb_offset(i), &stripe_len)) {
        const uint64_t end = std::min(logical + stripe_len, bg.end());
        for (uint64_t at = logical; at < end;) {
          auto it = bg.free_space.upper_bound(at);
          if (it == bg.free_space.begin() || std::prev(it)->first + std::prev(it)->second <= at)
            throw malformed(fmt::format("block group {}: an extent covers {}, which maps to super block copy {}", bg.start, at, i));
          at = std::prev(it)->first + std::prev(it)->second;
        }
      }
    }
  }

  // set_avail_alloc_bits: new chunks of a type get the profile its groups have; groups of one type with
  // different profiles (a conversion that stopped half way) are not modelled.
  void set_avail_alloc_bits(uint64_t flags) {
    const char* kind = (flags & BTRFS_BLOCK_GROUP_DATA) ? "data" : (flags & BTRFS_BLOCK_GROUP_METADATA) ? "metadata" : "system";
    const uint64_t profile = flags & BTRFS_BLOCK_GROUP_PROFILE_MASK;
    auto [it, inserted] = fs_.profiles.emplace(kind, profile);
    if (!inserted && it->second != profile)
      throw unsupported(fmt::format("{} block groups of two profiles ({} and {}): a balance converting them stopped half way",
                                    kind, profile_name(it->second), profile_name(profile)));
  }

  // What the model keeps of a subvolume: regular files, each with one name in the top directory, and
  // subvolumes linked there.
  void check_subvolume_layout(uint64_t id) {
    btrfs_for_each_item(fs_, *fs_.roots.at(id), {0, 0, 0}, [&](const btrfs_item& it) {
      const uint64_t ino = it.key.objectid;
      const std::string what = fmt::format("subvolume {} inode {}", id, ino);
      if (ino < BTRFS_FIRST_FREE_OBJECTID)
        throw unsupported(fmt::format("subvolume {}: item {} (orphan and other special items are not modelled)", id, to_string(it.key)));
      btrfs_root_data& rd = btrfs_root_data_of(fs_, id);
      switch (it.key.type) {
        case BTRFS_INODE_ITEM_KEY: {
          const auto& ii = std::get<btrfs_inode_item>(it.value);
          const uint32_t want = ino == BTRFS_FIRST_FREE_OBJECTID ? S_IFDIR : S_IFREG;
          if ((ii.mode & S_IFMT) != want)
            throw unsupported(fmt::format("{}: mode {:o} (the model keeps regular files in the top directory only)", what, ii.mode));
          if (ino != BTRFS_FIRST_FREE_OBJECTID && ii.nlink != 1)
            throw unsupported(fmt::format("{}: {} links (hard links are not modelled)", what, ii.nlink));
          rd.highest_objectid = std::max(rd.highest_objectid, ino);
          break;
        }
        case BTRFS_INODE_REF_KEY:
          if (ino != BTRFS_FIRST_FREE_OBJECTID && it.key.offset != BTRFS_FIRST_FREE_OBJECTID)
            throw unsupported(fmt::format("{}: a name in directory {} (files live in the top directory only)", what, it.key.offset));
          break;
        case BTRFS_DIR_INDEX_KEY:
        case BTRFS_DIR_ITEM_KEY:
        case BTRFS_EXTENT_DATA_KEY:
          break;
        default:
          throw unsupported(fmt::format("{}: item {} is not one a subvolume of the model holds", what, to_string(it.key)));
      }
      return true;
    });
    // The top directory's inode is read from disk at mount (btrfs_alloc_inode): index_cnt (u64)-1 until
    // its first user loads it from the last DIR_INDEX key (btrfs_set_inode_index_count).
    btrfs_root_data_of(fs_, id).dir_index = BTRFS_INDEX_CNT_UNSET;
  }

  void expect_file_contents(const btrfs_inode& inode, uint32_t op) {
    oracle_create(fs_, inode, op);
    oracle_set_size(fs_, inode, inode.i_size, op);
    btrfs_for_each_item(fs_, *fs_.roots.at(inode.root), {inode.ino, BTRFS_EXTENT_DATA_KEY, 0}, [&](const btrfs_item& it) {
      if (it.key.objectid != inode.ino || it.key.type != BTRFS_EXTENT_DATA_KEY) return false;
      const auto& fe = std::get<btrfs_file_extent_item>(it.value);
      if (fe.type != BTRFS_FILE_EXTENT_REG || fe.disk_bytenr == 0) return true;  // prealloc and holes read as zeroes
      const uint64_t file_end = std::min(it.key.offset + fe.num_bytes, inode.i_size);
      for (uint64_t pos = it.key.offset; pos < file_end;) {
        const uint64_t logical = fe.disk_bytenr + fe.offset + (pos - it.key.offset);
        const map_lookup& map = chunk_of(fs_, logical, 1, "file data");
        const stripe_piece p = map_stripe_piece(map, logical - map.start, 1);
        const uint64_t n = std::min({p.len, file_end - pos, kCopyChunk});
        // Whole sectors from the device (extents are sector-aligned), the file's part of them to the oracle.
        std::vector<uint8_t> bytes((n + fs_.sectorsize - 1) / fs_.sectorsize * fs_.sectorsize);
        fs_.dev(map.stripes[p.index].dev).bdev.read(p.physical, bytes);
        bytes.resize(n);
        if (std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; })) oracle_write(fs_, inode, pos, bytes, op);
        pos += n;
      }
      return true;
    });
  }

  const std::vector<device_image_source>& devices_;
  image_contents& c_;
  btrfs_fs_info& fs_;
  bool metadump_ = false;
};

}  // namespace

std::unique_ptr<btrfs_fs_info> btrfs_open_ctree(const std::vector<device_image_source>& devices) {
  image_contents c = read_image(devices);
  auto fs = std::make_unique<btrfs_fs_info>();
  mounter m(devices, c, *fs);
  m.metadump_data_as_zeroes();
  m.devices_and_chunks();
  m.roots_and_blocks();
  m.block_groups();
  m.data_sectors();
  m.subvolumes();
  fs->generation = fs->last_trans_committed = fs->last_transid_started = c.super.fields.generation;
  auto imported = std::make_shared<imported_image>();
  imported->identity = c.identity;
  for (auto& [bytenr, bytes] : c.block_bytes)  // the blocks as the images hold them
    imported->blocks[bytenr] = {c.blocks.at(bytenr)->content_csum(), std::move(bytes)};
  fs->imported = std::move(imported);
  return fs;
}

}  // namespace fsrace::model::ondisk
