// The on-disk serialiser's layouts against the sizes and offsets of the declared kernel's structs
// (include/uapi/linux/btrfs_tree.h, fs/btrfs/ctree.h).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/super_block.hpp"
#include "model/ondisk/tree_block_bytes.hpp"

using namespace fsrace::model;
using namespace fsrace::model::ondisk;

namespace {

uint64_t le(const std::vector<uint8_t>& b, size_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | b[off + i];
  return v;
}

}  // namespace

TEST_CASE("ondisk: crc32c is the Castagnoli CRC btrfs uses", "[ondisk]") {
  const std::string check = "123456789";
  CHECK(btrfs_crc32c({reinterpret_cast<const uint8_t*>(check.data()), check.size()}) == 0xE3069283u);
}

TEST_CASE("ondisk: a leaf's header, item array and packed item data", "[ondisk]") {
  tree_block leaf;
  leaf.header = {.bytenr = 30408704, .generation = 7, .owner = BTRFS_FS_TREE_OBJECTID, .level = 0};
  btrfs_inode_item dir;
  dir.mode = 040755;
  dir.size = 6;
  leaf.items.push_back({{256, BTRFS_INODE_ITEM_KEY, 0}, dir});
  leaf.items.push_back({{256, BTRFS_INODE_REF_KEY, 256}, btrfs_inode_ref{0, ".."}});
  const fs_identity& id = fixed_identity();
  const auto b = tree_block_bytes(leaf, 16384, id);
  REQUIRE(b.size() == 16384);
  CHECK(le(b, 0, 4) == btrfs_crc32c(std::span<const uint8_t>(b).subspan(32)));
  CHECK(std::memcmp(&b[32], id.fsid.data(), 16) == 0);
  CHECK(le(b, 48, 8) == 30408704);
  CHECK(le(b, 56, 8) == (1ull | 1ull << 56));  // WRITTEN, mixed backref revision
  CHECK(std::memcmp(&b[64], id.chunk_tree_uuid.data(), 16) == 0);
  CHECK(le(b, 80, 8) == 7);
  CHECK(le(b, 88, 8) == BTRFS_FS_TREE_OBJECTID);
  CHECK(le(b, 96, 4) == 2);
  CHECK(b[100] == 0);
  // item 0 at 101: key (256 INODE_ITEM 0), data offset (from the header's end) and size.
  CHECK(le(b, 101, 8) == 256);
  CHECK(b[109] == BTRFS_INODE_ITEM_KEY);
  const uint32_t off0 = uint32_t(le(b, 101 + 17, 4)), size0 = uint32_t(le(b, 101 + 21, 4));
  CHECK(size0 == 160);
  CHECK(off0 == 16384 - 101 - 160);
  CHECK(le(b, 101 + off0 + 16, 8) == 6);         // inode size
  CHECK(le(b, 101 + off0 + 52, 4) == 040755);    // inode mode
  // item 1 at 126: the inode ref packed right below item 0's data.
  const uint32_t off1 = uint32_t(le(b, 126 + 17, 4));
  CHECK(off1 == off0 - 12);
  CHECK(le(b, 101 + off1 + 8, 2) == 2);          // name_len
  CHECK(std::string(reinterpret_cast<const char*>(&b[101 + off1 + 10]), 2) == "..");
}

TEST_CASE("ondisk: a node's key pointers", "[ondisk]") {
  tree_block node;
  node.header = {.bytenr = 4096 * 100, .generation = 9, .owner = BTRFS_EXTENT_TREE_OBJECTID, .level = 1};
  node.ptrs.push_back({{1, BTRFS_BLOCK_GROUP_ITEM_KEY, 8}, 12345 * 4096, 8});
  const auto b = tree_block_bytes(node, 4096, fixed_identity());
  CHECK(b[100] == 1);
  CHECK(le(b, 101, 8) == 1);
  CHECK(b[109] == BTRFS_BLOCK_GROUP_ITEM_KEY);
  CHECK(le(b, 101 + 17, 8) == 12345 * 4096);
  CHECK(le(b, 101 + 25, 8) == 8);
}

TEST_CASE("ondisk: super block fields, sys_chunk_array and mirror bytenr", "[ondisk]") {
  super_fields f;
  f.generation = 5;
  f.root = 9486336;
  f.chunk_root = 1064960;
  f.total_bytes = 128ull << 20;
  f.num_devices = 1;
  f.dev_item = {1, 128ull << 20, 4096};
  btrfs_chunk sys;
  sys.length = 8 << 20;
  sys.type = BTRFS_BLOCK_GROUP_SYSTEM | BTRFS_BLOCK_GROUP_DUP;
  sys.stripes = {{1, 1 << 20}, {1, 9 << 20}};
  f.sys_chunks[1 << 20] = sys;
  const auto b = super_block_bytes(f, 1, fixed_identity());
  REQUIRE(b.size() == 4096);
  CHECK(le(b, 0, 4) == btrfs_crc32c(std::span<const uint8_t>(b).subspan(32)));
  CHECK(le(b, 48, 8) == 64ull << 20);  // mirror 1 lives at 64 MiB
  CHECK(le(b, 64, 8) == BTRFS_MAGIC);
  CHECK(le(b, 72, 8) == 5);
  CHECK(le(b, 80, 8) == 9486336);
  CHECK(le(b, 88, 8) == 1064960);
  CHECK(le(b, 160, 4) == 17 + 48 + 2 * 32);  // sys_chunk_array_size
  CHECK(le(b, 201, 8) == 1);                 // dev_item.devid
  CHECK(le(b, 811 + 9, 8) == 1 << 20);       // the system chunk's key offset
  CHECK(le(b, 811 + 17 + 44, 2) == 2);       // num_stripes
  CHECK(le(b, 811 + 17 + 48 + 32 + 8, 8) == 9 << 20);  // stripe 1 offset
}
