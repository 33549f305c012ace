#include "model/ondisk/item_parse.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/ondisk/tree_block_bytes.hpp"

namespace fsrace::model::ondisk {
namespace {

// The body must be exactly `n` bytes: a longer one holds what the model has no value for.
void expect_size(const btrfs_key& key, const le_reader& r, size_t n, const char* what) {
  if (r.size() < n) r.fail(0, fmt::format("item {}: {} of {} bytes, expected {}", to_string(key), what, r.size(), n));
  if (r.size() > n)
    throw unsupported(fmt::format("{}: item {}: {} bytes where one {} takes {} (several entries in one item)", r.what(),
                                  to_string(key), r.size(), what, n));
}

btrfs_inode_item read_inode_item(const le_reader& r, size_t off) {
  btrfs_inode_item ii;
  ii.generation = r.u64(off + 0);
  ii.transid = r.u64(off + 8);
  ii.size = r.u64(off + 16);
  ii.nbytes = r.u64(off + 24);
  ii.nlink = r.u32(off + 40);
  ii.mode = r.u32(off + 52);
  ii.flags = r.u64(off + 64);
  return ii;
}

btrfs_root_item read_root_item(const le_reader& r) {
  btrfs_root_item ri;
  ri.inode = read_inode_item(r, 0);
  ri.generation = r.u64(160);
  ri.root_dirid = r.u64(168);
  ri.bytenr = r.u64(176);
  ri.last_snapshot = r.u64(200);
  ri.flags = r.u64(208);
  ri.refs = r.u32(216);
  ri.level = r.u8(238);
  return ri;
}

btrfs_extent_item read_extent_item(const btrfs_key& key, const le_reader& r) {
  btrfs_extent_item ei;
  ei.refs = r.u64(0);
  ei.generation = r.u64(8);
  ei.flags = r.u64(16);
  if (key.type == BTRFS_EXTENT_ITEM_KEY && (ei.flags & BTRFS_EXTENT_FLAG_TREE_BLOCK))
    throw unsupported(fmt::format("{}: extent item {}: a non-skinny tree block extent item (btrfs_tree_block_info)",
                                  r.what(), to_string(key)));
  for (size_t off = 24; off < r.size();) {  // each reference consumes at least 9 bytes
    btrfs_extent_inline_ref ref;
    ref.type = r.u8(off);
    if (ref.type == BTRFS_TREE_BLOCK_REF_KEY) {
      ref.root = r.u64(off + 1);
    } else if (ref.type == BTRFS_EXTENT_DATA_REF_KEY) {
      ref.root = r.u64(off + 1);
      ref.objectid = r.u64(off + 9);
      ref.offset = r.u64(off + 17);
      ref.count = r.u32(off + 25);
    } else if (ref.type == BTRFS_SHARED_BLOCK_REF_KEY) {
      ref.parent = r.u64(off + 1);
    } else if (ref.type == BTRFS_SHARED_DATA_REF_KEY) {
      ref.parent = r.u64(off + 1);
      ref.count = r.u32(off + 9);
    } else {
      r.fail(off, fmt::format("extent item {}: inline reference type {}", to_string(key), ref.type));
    }
    off += ref.size();
    if (off > r.size()) r.fail(off, fmt::format("extent item {}: an inline reference past the item's end", to_string(key)));
    ei.inline_refs.push_back(ref);
  }
  return ei;
}

}  // namespace

btrfs_key read_disk_key(const le_reader& r, size_t off) { return {r.u64(off), r.u8(off + 8), r.u64(off + 9)}; }

uuid read_uuid(const le_reader& r, size_t off) {
  uuid u{};
  const auto s = r.sub(off, u.size());
  std::copy(s.begin(), s.end(), u.begin());
  return u;
}

void check_csum(const le_reader& r) {
  const uint32_t want = btrfs_crc32c(r.sub(32, r.size() - 32)), found = r.u32(0);
  if (want != found) r.fail(0, fmt::format("checksum verify failed: wanted {:#010x} found {:#010x}", want, found));
}

btrfs_dev_item read_dev_item(const le_reader& r, size_t off) {
  btrfs_dev_item d;
  d.devid = r.u64(off + 0);
  d.total_bytes = r.u64(off + 8);
  d.bytes_used = r.u64(off + 16);
  return d;
}

btrfs_chunk read_chunk(const le_reader& r, size_t off) {
  btrfs_chunk c;
  c.length = r.u64(off + 0);
  c.owner = r.u64(off + 8);
  c.stripe_len = r.u64(off + 16);
  c.type = r.u64(off + 24);
  const uint16_t num_stripes = r.u16(off + 44);
  c.sub_stripes = r.u16(off + 46);
  if (num_stripes == 0) r.fail(off + 44, "a chunk with no stripes");
  for (size_t i = 0; i < num_stripes; ++i) c.stripes.push_back({r.u64(off + 48 + 32 * i), r.u64(off + 56 + 32 * i)});
  return c;
}

item_value read_item_body(const btrfs_key& key, const le_reader& r) {
  switch (key.type) {
    case BTRFS_INODE_ITEM_KEY:
      expect_size(key, r, btrfs_inode_item::disk_size, "inode item");
      return read_inode_item(r, 0);
    case BTRFS_INODE_REF_KEY: {
      btrfs_inode_ref ref;
      ref.index = r.u64(0);
      ref.name = r.str(10, r.u16(8));
      expect_size(key, r, ref.size(), "inode ref");
      return ref;
    }
    case BTRFS_DIR_ITEM_KEY:
    case BTRFS_DIR_INDEX_KEY: {
      btrfs_dir_item di;
      di.location = read_disk_key(r, 0);
      di.transid = r.u64(17);
      if (const uint16_t data_len = r.u16(25))
        throw unsupported(fmt::format("{}: item {}: {} bytes of xattr data", r.what(), to_string(key), data_len));
      di.type = r.u8(29);
      di.name = r.str(30, r.u16(27));
      expect_size(key, r, di.size(), "directory entry");
      return di;
    }
    case BTRFS_EXTENT_DATA_KEY: {
      btrfs_file_extent_item fi;
      fi.type = r.u8(20);
      if (fi.type == BTRFS_FILE_EXTENT_INLINE)
        throw unsupported(fmt::format("{}: file extent {}: inline data (the model keeps no inline extents)", r.what(),
                                      to_string(key)));
      if (r.u8(16) || r.u8(17) || r.u16(18))
        throw unsupported(fmt::format("{}: file extent {}: compressed or encrypted", r.what(), to_string(key)));
      expect_size(key, r, btrfs_file_extent_item::disk_size, "file extent item");
      fi.generation = r.u64(0);
      fi.ram_bytes = r.u64(8);
      fi.disk_bytenr = r.u64(21);
      fi.disk_num_bytes = r.u64(29);
      fi.offset = r.u64(37);
      fi.num_bytes = r.u64(45);
      return fi;
    }
    case BTRFS_EXTENT_CSUM_KEY: {
      if (r.size() % 4) r.fail(0, fmt::format("csum item {}: {} bytes, not whole crc32c sums", to_string(key), r.size()));
      btrfs_csum_item ci;
      for (size_t off = 0; off < r.size(); off += 4) ci.csums.push_back(r.u32(off));
      return ci;
    }
    case BTRFS_ROOT_ITEM_KEY:
      expect_size(key, r, btrfs_root_item::disk_size, "root item");
      return read_root_item(r);
    case BTRFS_ROOT_REF_KEY:
    case BTRFS_ROOT_BACKREF_KEY: {
      btrfs_root_ref ref;
      ref.dirid = r.u64(0);
      ref.sequence = r.u64(8);
      ref.name = r.str(18, r.u16(16));
      expect_size(key, r, ref.size(), "root ref");
      return ref;
    }
    case BTRFS_EXTENT_ITEM_KEY:
    case BTRFS_METADATA_ITEM_KEY:
      return read_extent_item(key, r);
    case BTRFS_BLOCK_GROUP_ITEM_KEY:
      expect_size(key, r, btrfs_block_group_item::disk_size, "block group item");
      return btrfs_block_group_item{r.u64(0), r.u64(8), r.u64(16)};
    case BTRFS_DEV_EXTENT_KEY:
      expect_size(key, r, btrfs_dev_extent::disk_size, "dev extent");
      return btrfs_dev_extent{r.u64(0), r.u64(8), r.u64(16), r.u64(24)};
    case BTRFS_DEV_ITEM_KEY:
      expect_size(key, r, btrfs_dev_item::disk_size, "dev item");
      return read_dev_item(r, 0);
    case BTRFS_CHUNK_ITEM_KEY: {
      btrfs_chunk c = read_chunk(r, 0);
      expect_size(key, r, c.size(), "chunk item");
      return c;
    }
    case BTRFS_UUID_KEY_SUBVOL:
    case BTRFS_UUID_KEY_RECEIVED_SUBVOL: {  // __le64 root ids: kept as they are
      if (r.size() == 0 || r.size() % 8) r.fail(0, fmt::format("uuid item {}: {} bytes, not whole root ids", to_string(key), r.size()));
      const auto s = r.sub(0, r.size());
      return btrfs_opaque_item{std::vector<uint8_t>(s.begin(), s.end())};
    }
    default:
      throw unsupported(fmt::format("{}: item {}: key type {} is not one the model keeps", r.what(), to_string(key), key.type));
  }
}

}  // namespace fsrace::model::ondisk
