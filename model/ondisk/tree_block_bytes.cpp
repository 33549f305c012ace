#include "model/ondisk/tree_block_bytes.hpp"

#include <fmt/format.h>

#include "model/data/csum.hpp"
#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/item_parse.hpp"
#include "model/ondisk/le_bytes.hpp"

namespace fsrace::model::ondisk {

uint32_t btrfs_crc32c(std::span<const uint8_t> bytes) { return ~crc32c(~0u, bytes); }

std::vector<uint8_t> tree_block_bytes(const tree_block& block, uint32_t nodesize, const fs_identity& id) {
  std::vector<uint8_t> out(nodesize, 0);
  le_bytes b(out);
  const btrfs_header& h = block.header;
  // struct btrfs_header: csum[32] 0, fsid 32, bytenr 48, flags 56, chunk_tree_uuid 64, generation 80,
  // owner 88, nritems 96, level 100.
  b.raw(32, id.fsid.data(), id.fsid.size());
  b.u64(48, h.bytenr);
  b.u64(56, BTRFS_HEADER_FLAG_WRITTEN | BTRFS_MIXED_BACKREF_REV << BTRFS_BACKREF_REV_SHIFT);
  b.raw(64, id.chunk_tree_uuid.data(), id.chunk_tree_uuid.size());
  b.u64(80, h.generation);
  b.u64(88, h.owner);
  b.u32(96, block.nritems());
  b.u8(100, h.level);
  if (block.is_leaf()) {
    // Item data offsets count from the end of the header (BTRFS_LEAF_DATA_OFFSET).
    uint32_t data_end = leaf_data_size(nodesize);
    for (size_t i = 0; i < block.items.size(); ++i) {
      const btrfs_item& it = block.items[i];
      const uint32_t size = item_size(it.value);
      const size_t slot = BTRFS_HEADER_SIZE + BTRFS_ITEM_SIZE * i;
      if (size > data_end || slot + BTRFS_ITEM_SIZE > BTRFS_HEADER_SIZE + data_end - size)
        throw std::logic_error(fmt::format("ondisk: leaf {} overflows at item {}", h.bytenr, i));
      data_end -= size;
      write_disk_key(b, slot, it.key);
      b.u32(slot + 17, data_end);
      b.u32(slot + 21, size);
      write_item_body(it.key, it.value, b.sub(BTRFS_HEADER_SIZE + data_end, size), id);
    }
  } else {
    if (block.ptrs.size() > node_max_ptrs(nodesize))
      throw std::logic_error(fmt::format("ondisk: node {} holds {} pointers", h.bytenr, block.ptrs.size()));
    for (size_t i = 0; i < block.ptrs.size(); ++i) {
      const size_t slot = BTRFS_HEADER_SIZE + BTRFS_KEY_PTR_SIZE * i;
      write_disk_key(b, slot, block.ptrs[i].key);
      b.u64(slot + 17, block.ptrs[i].blockptr);
      b.u64(slot + 25, block.ptrs[i].generation);
    }
  }
  b.u32(0, btrfs_crc32c(std::span<const uint8_t>(out).subspan(32)));
  return out;
}

tree_block parse_tree_block(std::span<const uint8_t> bytes, uint32_t nodesize, const fs_identity& id, const std::string& what) {
  const le_reader r(bytes, what);
  if (bytes.size() != nodesize) r.fail(0, fmt::format("{} bytes, expected the node size {}", bytes.size(), nodesize));
  check_csum(r);
  if (read_uuid(r, 32) != id.fsid) r.fail(32, "the fsid is not the filesystem's");
  if (read_uuid(r, 64) != id.chunk_tree_uuid) r.fail(64, "the chunk tree uuid is not the filesystem's");
  tree_block block;
  btrfs_header& h = block.header;
  h.bytenr = r.u64(48);
  h.generation = r.u64(80);
  h.owner = r.u64(88);
  const uint32_t nritems = r.u32(96);
  h.level = r.u8(100);
  if (h.level >= 8) r.fail(100, fmt::format("level {} (BTRFS_MAX_LEVEL is 8)", h.level));
  if (block.is_leaf()) {
    const uint32_t data_size = leaf_data_size(nodesize);
    if (nritems > data_size / BTRFS_ITEM_SIZE) r.fail(96, fmt::format("{} items do not fit a leaf", nritems));
    for (uint32_t i = 0; i < nritems; ++i) {
      const size_t slot = BTRFS_HEADER_SIZE + BTRFS_ITEM_SIZE * size_t(i);
      const btrfs_key key = read_disk_key(r, slot);
      const uint32_t offset = r.u32(slot + 17), size = r.u32(slot + 21);
      if (offset > data_size || size > data_size - offset || BTRFS_HEADER_SIZE + offset < slot + BTRFS_ITEM_SIZE)
        r.fail(slot + 17, fmt::format("item {} {}: data at {} of {} bytes is outside the leaf's data area", i,
                                      to_string(key), offset, size));
      const le_reader body(r.sub(BTRFS_HEADER_SIZE + offset, size), fmt::format("{}, item {}", what, i));
      block.items.push_back({key, read_item_body(key, body)});
    }
  } else {
    if (nritems == 0 || nritems > node_max_ptrs(nodesize)) r.fail(96, fmt::format("a node with {} pointers", nritems));
    for (uint32_t i = 0; i < nritems; ++i) {
      const size_t slot = BTRFS_HEADER_SIZE + BTRFS_KEY_PTR_SIZE * size_t(i);
      block.ptrs.push_back({read_disk_key(r, slot), r.u64(slot + 17), r.u64(slot + 25)});
    }
  }
  h.csum = block.content_csum();
  return block;
}

}  // namespace fsrace::model::ondisk
