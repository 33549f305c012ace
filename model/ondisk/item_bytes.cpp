#include "model/ondisk/item_bytes.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/block_device.hpp"
#include "model/data/csum.hpp"

namespace fsrace::model::ondisk {
namespace {

constexpr uint32_t TIMESPEC_SIZE = 12;  // struct btrfs_timespec: __le64 sec, __le32 nsec

// struct btrfs_inode_item (160 bytes). Fillers: block_group, uid, gid, rdev, sequence 0; every time 0
// (the epoch): the model keeps no times.
void write_inode_item(le_bytes& b, size_t off, const btrfs_inode_item& ii) {
  b.u64(off + 0, ii.generation);
  b.u64(off + 8, ii.transid);
  b.u64(off + 16, ii.size);
  b.u64(off + 24, ii.nbytes);
  b.u64(off + 32, 0);  // block_group
  b.u32(off + 40, ii.nlink);
  b.u32(off + 44, 0);  // uid
  b.u32(off + 48, 0);  // gid
  b.u32(off + 52, ii.mode);
  b.u64(off + 56, 0);  // rdev
  b.u64(off + 64, ii.flags);
  b.u64(off + 72, 0);  // sequence
  // reserved[4] at 80, atime 112, ctime 124, mtime 136, otime 148: zeroes
  static_assert(112 + 4 * TIMESPEC_SIZE == btrfs_inode_item::disk_size);
}

void write_name(le_bytes& b, size_t off, const std::string& name) { b.str(off, name); }

uint16_t name_len(const std::string& name) {
  if (name.size() > 255) throw std::logic_error("ondisk: a name longer than BTRFS_NAME_LEN");
  return uint16_t(name.size());
}

// struct btrfs_root_item (439 bytes).
void write_root_item(le_bytes& b, const btrfs_key& key, const btrfs_root_item& ri, const fs_identity& id) {
  write_inode_item(b, 0, ri.inode);
  b.u64(160, ri.generation);
  b.u64(168, ri.root_dirid);
  b.u64(176, ri.bytenr);
  b.u64(184, 0);  // byte_limit
  b.u64(192, 0);  // bytes_used: filler (the model does not count a tree's blocks)
  b.u64(200, ri.last_snapshot);
  b.u64(208, ri.flags);
  b.u32(216, ri.refs);
  // drop_progress (disk key) at 220 and drop_level at 237: zero, no drop in progress
  b.u8(238, ri.level);
  b.u64(239, ri.generation);  // generation_v2 == generation: the extended fields below are valid
  const bool subvol = key.objectid == BTRFS_FS_TREE_OBJECTID ||
                      (key.objectid >= BTRFS_FIRST_FREE_OBJECTID && key.objectid <= BTRFS_LAST_FREE_OBJECTID);
  if (subvol) {
    const uuid u = id.subvol_uuid(key.objectid);
    b.raw(247, u.data(), u.size());
  }
  // parent_uuid 263, received_uuid 279, c/o/s/rtransid 295..327, c/o/s/rtime 327..375, reserved: zero
}

uint32_t crc32c_le64(uint32_t crc, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
  return crc32c(crc, b);
}

// hash_extent_data_ref: the order of EXTENT_DATA_REF back references (btrfs_crc32c: seed, no inversion).
uint64_t hash_extent_data_ref(uint64_t root, uint64_t owner, uint64_t offset) {
  const uint32_t high_crc = crc32c_le64(~0u, root);
  const uint32_t low_crc = crc32c_le64(crc32c_le64(~0u, owner), offset);
  return (uint64_t(high_crc) << 31) ^ uint64_t(low_crc);
}

// lookup_inline_extent_backref's order within a type: descending by this value.
uint64_t inline_ref_order(const btrfs_extent_inline_ref& r) {
  switch (r.type) {
    case BTRFS_EXTENT_DATA_REF_KEY: return hash_extent_data_ref(r.root, r.objectid, r.offset);
    case BTRFS_TREE_BLOCK_REF_KEY: return r.root;
    default: return r.parent;
  }
}

// Inline back references (btrfs_extent_inline_ref) in the kernel's order: by type, then descending
// (lookup_inline_extent_backref stops at the first smaller one).
void write_extent_item(le_bytes& b, const btrfs_key& key, const btrfs_extent_item& ei) {
  b.u64(0, ei.refs);
  b.u64(8, ei.generation);
  b.u64(16, ei.flags);
  if (key.type == BTRFS_EXTENT_ITEM_KEY && (ei.flags & BTRFS_EXTENT_FLAG_TREE_BLOCK))
    throw unsupported(fmt::format("extent item {}: a non-skinny tree block extent item", to_string(key)));
  std::vector<const btrfs_extent_inline_ref*> refs;
  for (const auto& r : ei.inline_refs) refs.push_back(&r);
  std::sort(refs.begin(), refs.end(), [](auto* a, auto* c) {
    if (a->type != c->type) return a->type < c->type;
    return inline_ref_order(*a) > inline_ref_order(*c);
  });
  size_t off = 24;
  for (const auto* r : refs) {
    b.u8(off, r->type);
    if (r->type == BTRFS_TREE_BLOCK_REF_KEY) {
      b.u64(off + 1, r->root);  // the offset field holds the root
    } else if (r->type == BTRFS_EXTENT_DATA_REF_KEY) {
      b.u64(off + 1, r->root);  // struct btrfs_extent_data_ref in place of the offset
      b.u64(off + 9, r->objectid);
      b.u64(off + 17, r->offset);
      b.u32(off + 25, r->count);
    } else if (r->type == BTRFS_SHARED_BLOCK_REF_KEY) {
      b.u64(off + 1, r->parent);  // the offset field holds the parent block
    } else if (r->type == BTRFS_SHARED_DATA_REF_KEY) {
      b.u64(off + 1, r->parent);  // then struct btrfs_shared_data_ref
      b.u32(off + 9, r->count);
    } else {
      throw unsupported(fmt::format("extent item {}: inline reference type {}", to_string(key), r->type));
    }
    off += r->size();
  }
}

}  // namespace

void write_disk_key(le_bytes& b, size_t off, const btrfs_key& k) {
  b.u64(off, k.objectid);
  b.u8(off + 8, k.type);
  b.u64(off + 9, k.offset);
}

// struct btrfs_dev_item (98 bytes). Fillers: io_align = io_width = sector_size = the sector size, type,
// generation, start_offset, dev_group, seek_speed, bandwidth 0 (what mkfs.btrfs writes).
void write_dev_item(le_bytes& b, size_t off, const btrfs_dev_item& d, uint32_t sectorsize, const fs_identity& id) {
  b.u64(off + 0, d.devid);
  b.u64(off + 8, d.total_bytes);
  b.u64(off + 16, d.bytes_used);
  b.u32(off + 24, sectorsize);
  b.u32(off + 28, sectorsize);
  b.u32(off + 32, sectorsize);
  const uuid u = id.dev_uuid(d.devid);
  b.raw(off + 66, u.data(), u.size());
  b.raw(off + 82, id.fsid.data(), id.fsid.size());
}

// struct btrfs_chunk (48 bytes) + struct btrfs_stripe (32 bytes each). io_align = io_width = stripe_len
// and sector_size = the sector size, as mkfs.btrfs and the kernel write them.
void write_chunk(le_bytes& b, size_t off, const btrfs_chunk& c, uint32_t sectorsize, const fs_identity& id) {
  b.u64(off + 0, c.length);
  b.u64(off + 8, c.owner);
  b.u64(off + 16, c.stripe_len);
  b.u64(off + 24, c.type);
  b.u32(off + 32, uint32_t(c.stripe_len));
  b.u32(off + 36, uint32_t(c.stripe_len));
  b.u32(off + 40, sectorsize);
  b.u16(off + 44, uint16_t(c.stripes.size()));
  b.u16(off + 46, c.sub_stripes);
  for (size_t i = 0; i < c.stripes.size(); ++i) {
    const size_t s = off + 48 + 32 * i;
    b.u64(s, c.stripes[i].devid);
    b.u64(s + 8, c.stripes[i].offset);
    const uuid u = id.dev_uuid(c.stripes[i].devid);
    b.raw(s + 16, u.data(), u.size());
  }
}

void write_item_body(const btrfs_key& key, const item_value& v, std::span<uint8_t> out, const fs_identity& id) {
  if (out.size() != item_size(v)) throw std::logic_error("ondisk: item body size differs from the model's item size");
  std::fill(out.begin(), out.end(), uint8_t(0));
  le_bytes b(out);
  std::visit(
      [&](const auto& it) {
        using T = std::decay_t<decltype(it)>;
        if constexpr (std::is_same_v<T, btrfs_inode_item>) {
          write_inode_item(b, 0, it);
        } else if constexpr (std::is_same_v<T, btrfs_inode_ref>) {
          b.u64(0, it.index);
          b.u16(8, name_len(it.name));
          write_name(b, 10, it.name);
        } else if constexpr (std::is_same_v<T, btrfs_dir_item>) {
          write_disk_key(b, 0, it.location);
          b.u64(17, it.transid);
          b.u16(25, 0);  // data_len: no xattr data
          b.u16(27, name_len(it.name));
          b.u8(29, it.type);
          write_name(b, 30, it.name);
        } else if constexpr (std::is_same_v<T, btrfs_file_extent_item>) {
          if (it.type == BTRFS_FILE_EXTENT_INLINE)
            throw unsupported(fmt::format("file extent {}: inline extents (the model keeps no inline data)", to_string(key)));
          b.u64(0, it.generation);
          b.u64(8, it.ram_bytes);
          // compression 16, encryption 17, other_encoding 18..20: none
          b.u8(20, it.type);
          b.u64(21, it.disk_bytenr);
          b.u64(29, it.disk_num_bytes);
          b.u64(37, it.offset);
          b.u64(45, it.num_bytes);
        } else if constexpr (std::is_same_v<T, btrfs_csum_item>) {
          for (size_t i = 0; i < it.csums.size(); ++i) b.u32(4 * i, it.csums[i]);
        } else if constexpr (std::is_same_v<T, btrfs_root_item>) {
          write_root_item(b, key, it, id);
        } else if constexpr (std::is_same_v<T, btrfs_root_ref>) {
          b.u64(0, it.dirid);
          b.u64(8, it.sequence);
          b.u16(16, name_len(it.name));
          write_name(b, 18, it.name);
        } else if constexpr (std::is_same_v<T, btrfs_extent_item>) {
          write_extent_item(b, key, it);
        } else if constexpr (std::is_same_v<T, btrfs_block_group_item>) {
          b.u64(0, it.used);
          b.u64(8, it.chunk_objectid);
          b.u64(16, it.flags);
        } else if constexpr (std::is_same_v<T, btrfs_dev_extent>) {
          b.u64(0, it.chunk_tree);
          b.u64(8, it.chunk_objectid);
          b.u64(16, it.chunk_offset);
          b.u64(24, it.length);
          b.raw(32, id.chunk_tree_uuid.data(), id.chunk_tree_uuid.size());
        } else if constexpr (std::is_same_v<T, btrfs_dev_item>) {
          write_dev_item(b, 0, it, SECTORSIZE, id);  // mkfs refuses any other sector size
        } else if constexpr (std::is_same_v<T, btrfs_chunk>) {
          write_chunk(b, 0, it, SECTORSIZE, id);
        } else if constexpr (std::is_same_v<T, btrfs_opaque_item>) {
          if (!it.bytes.empty()) b.raw(0, it.bytes.data(), it.bytes.size());
        } else {
          static_assert(sizeof(T) == 0, "every item type has a layout");
        }
      },
      v);
}

}  // namespace fsrace::model::ondisk
