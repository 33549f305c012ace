// The on-disk readers (item_parse, parse_tree_block, parse_super_block) against the writers: every image
// region the export writes of a filesystem with files, directories, checksums, several devices and
// profiles parses back and serialises to the same bytes; damaged and foreign bytes are errors naming the
// block and the byte.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "model/data/data_pattern.hpp"
#include "model/ondisk/item_parse.hpp"
#include "model/ondisk/super_block.hpp"
#include "model/ondisk/tree_block_bytes.hpp"
#include "tests/model/ondisk_round_trip.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::model::ondisk;
using namespace fsrace::test;

namespace {

std::vector<uint8_t> with_crc(std::vector<uint8_t> b) {
  const uint32_t c = btrfs_crc32c(std::span<const uint8_t>(b).subspan(32));
  for (int i = 0; i < 4; ++i) b[size_t(i)] = uint8_t(c >> (8 * i));
  return b;
}

}  // namespace

TEST_CASE("ondisk parse: every exported super block and tree block parses back to the same bytes", "[ondisk]") {
  for (const char* profile : {"single", "dup", "raid1", "raid10"}) {
    INFO(profile);
    mkfs_options opts;
    opts.device_sizes = std::string(profile) == "raid10" ? std::vector<uint64_t>(4, 256ull << 20)
                        : std::string(profile) == "raid1" ? std::vector<uint64_t>{256ull << 20, 512ull << 20}
                                                          : std::vector<uint64_t>{256ull << 20};
    opts.data_profile = opts.metadata_profile = opts.system_profile = profile;
    auto fs = make_fs(opts);
    run_in_fiber([&] {
      for (int i = 0; i < 40; ++i) {  // enough items for several leaves and a node in the fs tree
        btrfs_inode& inode = create_file(*fs, "f" + std::to_string(i), i % 5 == 0);
        MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(i, 0, 8192), "write"));
        btrfs_iput(*fs, inode);
      }
      MUST(btrfs_sync_fs(*fs));
    });
    CHECK(round_trip(*fs) > 6);
  }
}

TEST_CASE("ondisk parse: damaged and foreign bytes are errors naming the block and the byte", "[ondisk]") {
  mkfs_options opts;
  opts.device_sizes = {256ull << 20};  // one device holds every block
  auto fs = make_fs(opts);
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 8192), "write a"));
    btrfs_iput(*fs, inode);
    MUST(btrfs_sync_fs(*fs));
  });
  const fs_identity& id = fixed_identity();
  // The fs tree's leaf: the file's inode, ref, dir entries and one regular file extent.
  const uint64_t leaf = fs->roots.at(BTRFS_FS_TREE_OBJECTID)->commit_root;
  const device_image img = image_of(*fs, 1);
  std::vector<uint8_t> bytes;
  for (uint64_t physical : tree_block_offsets(*fs, 1))
    if (auto b = img.at(physical, fs->nodesize); parse_tree_block(b, fs->nodesize, id, "b").header.bytenr == leaf) bytes = b;
  REQUIRE(bytes.size() == fs->nodesize);
  const tree_block good = parse_tree_block(bytes, fs->nodesize, id, "tree block");
  size_t extent_slot = good.items.size();
  for (size_t i = 0; i < good.items.size(); ++i)
    if (good.items[i].key.type == BTRFS_EXTENT_DATA_KEY) extent_slot = i;
  REQUIRE(extent_slot < good.items.size());
  const size_t slot = BTRFS_HEADER_SIZE + BTRFS_ITEM_SIZE * extent_slot;
  const size_t body = BTRFS_HEADER_SIZE + (bytes[slot + 17] | bytes[slot + 18] << 8 | bytes[slot + 19] << 16);

  SECTION("a flipped bit fails the checksum") {
    auto b = bytes;
    b[body + 30] ^= 1;
    CHECK(test::ondisk_error_of([&] { parse_tree_block(b, fs->nodesize, id, "tree block 1"); }).find(
              "malformed: tree block 1, byte 0: checksum verify failed") == 0);
  }
  SECTION("another filesystem's block") {
    CHECK(test::ondisk_error_of([&] { parse_tree_block(bytes, fs->nodesize, identity_for(7), "tree block 1"); }).find(
              "the fsid is not the filesystem's") != std::string::npos);
  }
  SECTION("an item whose data lies outside the leaf") {
    auto b = bytes;
    b[slot + 21] = 0xff, b[slot + 22] = 0xff;  // size 65535
    CHECK(test::ondisk_error_of([&] { parse_tree_block(with_crc(b), fs->nodesize, id, "tree block 1"); }).find(
              "is outside the leaf's data area") != std::string::npos);
  }
  SECTION("inline file data, which the model does not keep") {
    auto b = bytes;
    b[body + 20] = BTRFS_FILE_EXTENT_INLINE;
    const std::string e = test::ondisk_error_of([&] { parse_tree_block(with_crc(b), fs->nodesize, id, "tree block 1"); });
    CHECK(e.find("unsupported: tree block 1, item") == 0);
    CHECK(e.find("inline data") != std::string::npos);
  }
  SECTION("a key type the model has no value for") {
    auto b = bytes;
    b[slot + 8] = 24;  // BTRFS_XATTR_ITEM_KEY
    CHECK(test::ondisk_error_of([&] { parse_tree_block(with_crc(b), fs->nodesize, id, "tree block 1"); }).find(
              "key type 24 is not one the model keeps") != std::string::npos);
  }
  SECTION("super block: no magic, an oversized sys_chunk_array") {
    const std::vector<uint8_t> super = img.at(BTRFS_SUPER_INFO_OFFSET, BTRFS_SUPER_INFO_SIZE);
    REQUIRE(super.size() == BTRFS_SUPER_INFO_SIZE);
    auto no_magic = super;
    no_magic[64] = 0;
    CHECK(test::ondisk_error_of([&] { parse_super_block(no_magic, "super"); }) == "malformed: super, byte 64: no btrfs magic (_BHRfS_M)");
    auto big = super;
    big[161] = 0x10;  // sys_chunk_array_size 4096 + its low byte
    CHECK(test::ondisk_error_of([&] { parse_super_block(with_crc(big), "super"); }).find("exceeds 2048") != std::string::npos);
  }
}
