#include "model/ondisk/super_block.hpp"

#include <fmt/format.h>

#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/item_parse.hpp"
#include "model/ondisk/le_bytes.hpp"
#include "model/ondisk/tree_block_bytes.hpp"

namespace fsrace::model::ondisk {

uint64_t btrfs_sb_offset(int mirror) {
  constexpr uint64_t start = 16 * 1024;  // BTRFS_SUPER_MIRROR_SHIFT 12: 64 MiB, 256 GiB
  return mirror > 0 ? start << (12 * mirror) : BTRFS_SUPER_INFO_OFFSET;
}

std::vector<uint8_t> super_block_bytes(const super_fields& f, int mirror, const fs_identity& id) {
  std::vector<uint8_t> out(BTRFS_SUPER_INFO_SIZE, 0);
  le_bytes b(out);
  b.raw(32, id.fsid.data(), id.fsid.size());
  b.u64(48, btrfs_sb_offset(mirror));
  b.u64(56, BTRFS_HEADER_FLAG_WRITTEN);
  b.u64(64, BTRFS_MAGIC);
  b.u64(72, f.generation);
  b.u64(80, f.root);
  b.u64(88, f.chunk_root);
  b.u64(96, 0);  // log_root: no tree log
  b.u64(112, f.total_bytes);
  b.u64(120, f.bytes_used);
  b.u64(128, 6);  // root_dir_objectid: BTRFS_ROOT_TREE_DIR_OBJECTID
  b.u64(136, f.num_devices);
  b.u32(144, f.sectorsize);
  b.u32(148, f.nodesize);
  b.u32(152, f.nodesize);    // __unused_leafsize
  b.u32(156, f.sectorsize);  // stripesize
  b.u64(164, f.chunk_root_generation);
  b.u64(172, 0);  // compat_flags
  b.u64(180, 0);  // compat_ro_flags: no free space tree
  b.u64(188, BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF | BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF |
                 BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA | BTRFS_FEATURE_INCOMPAT_NO_HOLES);
  b.u16(196, 0);  // csum_type: BTRFS_CSUM_TYPE_CRC32
  b.u8(198, f.root_level);
  b.u8(199, f.chunk_root_level);
  b.u8(200, 0);  // log_root_level
  write_dev_item(b, 201, f.dev_item, f.sectorsize, id);
  // label[256] at 299: empty
  b.u64(555, ~0ull);  // cache_generation: no space cache (what mkfs.btrfs writes without one)
  b.u64(563, 0);      // uuid_tree_generation: no uuid tree
  b.raw(571, id.fsid.data(), id.fsid.size());  // metadata_uuid
  // sys_chunk_array at 811: (disk key, chunk) pairs.
  size_t off = 811, used = 0;
  for (const auto& [logical, c] : f.sys_chunks) {
    const size_t n = BTRFS_DISK_KEY_SIZE + c.size();
    if (used + n > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
      throw unsupported(fmt::format("the system chunks do not fit the super block's sys_chunk_array ({} bytes)",
                                    BTRFS_SYSTEM_CHUNK_ARRAY_SIZE));
    write_disk_key(b, off, {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, logical});
    write_chunk(b, off + BTRFS_DISK_KEY_SIZE, c, f.sectorsize, id);
    off += n;
    used += n;
  }
  b.u32(160, uint32_t(used));
  // super_roots[4] at 2859: no backup roots (zeroes: a mount never falls back to them).
  b.u32(0, btrfs_crc32c(std::span<const uint8_t>(out).subspan(32)));
  return out;
}

parsed_super parse_super_block(std::span<const uint8_t> bytes, const std::string& what) {
  const le_reader r(bytes, what);
  if (bytes.size() != BTRFS_SUPER_INFO_SIZE) r.fail(0, fmt::format("{} bytes, expected {}", bytes.size(), BTRFS_SUPER_INFO_SIZE));
  if (r.u64(64) != BTRFS_MAGIC) r.fail(64, "no btrfs magic (_BHRfS_M)");
  parsed_super p;
  p.csum_type = r.u16(196);
  if (p.csum_type != 0) r.fail(196, fmt::format("checksum type {} (only crc32c, 0, is supported)", p.csum_type));
  check_csum(r);
  super_fields& f = p.fields;
  p.fsid = read_uuid(r, 32);
  p.bytenr = r.u64(48);
  p.flags = r.u64(56);
  f.generation = r.u64(72);
  f.root = r.u64(80);
  f.chunk_root = r.u64(88);
  p.log_root = r.u64(96);
  f.total_bytes = r.u64(112);
  f.bytes_used = r.u64(120);
  f.num_devices = r.u64(136);
  f.sectorsize = r.u32(144);
  f.nodesize = r.u32(148);
  const uint32_t sys_array_size = r.u32(160);
  f.chunk_root_generation = r.u64(164);
  p.compat_ro_flags = r.u64(180);
  p.incompat_flags = r.u64(188);
  f.root_level = r.u8(198);
  f.chunk_root_level = r.u8(199);
  f.dev_item = read_dev_item(r, 201);
  p.dev_uuid = read_uuid(r, 201 + 66);
  p.dev_fsid = read_uuid(r, 201 + 82);
  p.metadata_uuid = read_uuid(r, 571);
  if (sys_array_size > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
    r.fail(160, fmt::format("sys_chunk_array_size {} exceeds {}", sys_array_size, BTRFS_SYSTEM_CHUNK_ARRAY_SIZE));
  const le_reader array(r.sub(811, sys_array_size), what + ", sys_chunk_array");
  for (size_t off = 0; off < sys_array_size;) {  // each entry consumes at least a key and a chunk header
    const btrfs_key key = read_disk_key(array, off);
    if (key.type != BTRFS_CHUNK_ITEM_KEY) array.fail(off, fmt::format("key {} is not a chunk item", to_string(key)));
    btrfs_chunk c = read_chunk(array, off + BTRFS_DISK_KEY_SIZE);
    off += BTRFS_DISK_KEY_SIZE + c.size();
    if (off > sys_array_size) array.fail(off, "a chunk past the array's end");
    f.sys_chunks[key.offset] = std::move(c);
  }
  return p;
}

}  // namespace fsrace::model::ondisk
