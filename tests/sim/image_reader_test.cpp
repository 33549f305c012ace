// The import's image reader (model/ondisk/image_reader): the images the export writes of every scenario
// after setup read back into the same trees; images made by mkfs.btrfs (btrfs-progs) read when they hold
// only what the model models, and are refused by name when they do not.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/ondisk/image_reader.hpp"
#include "model/ondisk/item_parse.hpp"
#include "sim/binding.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "tests/model/ondisk_round_trip.hpp"
#include "tests/sim/mkfs_images.hpp"
#include "tests/reports/process.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::model::ondisk;
namespace fs = std::filesystem;

namespace {

std::vector<device_image_source> exported(const btrfs_fs_info& f) {
  std::vector<device_image_source> out;
  for (const auto& [devid, d] : f.devices) {
    auto img = std::make_shared<test::device_image>(test::image_of(f, devid));
    out.push_back({fmt::format("dev{}", devid), d->total_bytes, [img](uint64_t physical, size_t n) {
                     std::vector<uint8_t> b = img->at(physical, n);
                     b.resize(n, 0);
                     return b;
                   }});
  }
  return out;
}

}  // namespace

TEST_CASE("image reader: every scenario's exported state after setup reads back into its trees", "[ondisk][import]") {
  size_t read = 0;
  const fs::path root = FSRACE_SOURCE_DIR "/scenarios";
  std::vector<fs::path> files;
  for (const auto& dir : {root, root / "soak"})
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json" && e.path().filename() != "schema.json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    INFO(file.stem().string());
    auto sc = sim::load_scenario(file.string(), *sim::default_binding().cat);
    sim::prepared_scenario prepared(*sc, sim::default_binding());
    const btrfs_fs_info& f = *prepared.base().fs();
    image_contents c;
    const std::string error = test::ondisk_error_of([&] { c = read_image(exported(f)); });
    REQUIRE(error == "no error");
    ++read;
    CHECK(c.identity.fsid == fixed_identity().fsid);
    CHECK(c.identity.chunk_tree_uuid == fixed_identity().chunk_tree_uuid);
    CHECK(c.dev_items.size() == f.devices.size());
    CHECK(c.chunks.size() == f.mapping_tree.size());
    for (const auto& [id, r] : f.roots) {
      INFO("root " << id);
      REQUIRE(c.trees.count(id));
      CHECK(c.trees.at(id).bytenr == r->commit_root);
      CHECK(c.trees.at(id).level == r->commit_root_level);
      CHECK(c.blocks.count(r->commit_root));
    }
  }
  CHECK(read == files.size());
}

TEST_CASE("image reader: mkfs.btrfs images on 1, 2 and 3 devices (single, dup, raid1)", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  struct layout {
    const char* name;
    int devices;
    const char* options;
  };
  for (const layout& l : {layout{"mkfs-dup", 1, "-R ^free-space-tree"},
                          layout{"mkfs-single", 1, "-R ^free-space-tree -m single -d single"},
                          layout{"mkfs-raid1", 2, "-R ^free-space-tree -m raid1 -d raid1"},
                          layout{"mkfs-three", 3, "-R ^free-space-tree -m raid1 -d single"}}) {
    INFO(l.name);
    const image_contents c = read_image(test::mkfs_images(l.name, l.devices, l.options));
    CHECK(c.super.fields.num_devices == uint64_t(l.devices));
    CHECK(c.dev_items.size() == size_t(l.devices));
    CHECK(c.chunks.size() >= 3);  // system, metadata, data
    for (uint64_t id : std::initializer_list<uint64_t>{BTRFS_EXTENT_TREE_OBJECTID, BTRFS_DEV_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, BTRFS_CSUM_TREE_OBJECTID,
                        BTRFS_DATA_RELOC_TREE_OBJECTID, BTRFS_UUID_TREE_OBJECTID})
      CHECK(c.trees.count(id));
    // The uuid tree's entry for the default subvolume, kept as bytes: its root id, 5.
    const tree_block& uuid_leaf = *c.blocks.at(c.trees.at(BTRFS_UUID_TREE_OBJECTID).bytenr);
    REQUIRE(uuid_leaf.items.size() == 1);
    CHECK(uuid_leaf.items[0].key.type == BTRFS_UUID_KEY_SUBVOL);
    CHECK(std::get<btrfs_opaque_item>(uuid_leaf.items[0].value).bytes == std::vector<uint8_t>{5, 0, 0, 0, 0, 0, 0, 0});
    // The identity names the image's own devices and subvolumes.
    CHECK(c.identity.dev_uuids.size() == size_t(l.devices));
    CHECK(c.identity.subvol_uuids.count(BTRFS_FS_TREE_OBJECTID));
    CHECK(c.block_bytes.size() == c.blocks.size());
    // The root tree's directory (objectid 6) with its "default" entry, which the model's mkfs lacks.
    bool default_entry = false;
    for (const auto& it : c.blocks.at(c.trees.at(BTRFS_ROOT_TREE_OBJECTID).bytenr)->items)
      if (it.key.objectid == 6 && it.key.type == BTRFS_DIR_ITEM_KEY) default_entry = std::get<btrfs_dir_item>(it.value).name == "default";
    CHECK(default_entry);
  }
}

TEST_CASE("image reader: what the model does not model, and images that do not make one filesystem", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  // mkfs.btrfs's default free space tree.
  CHECK(test::ondisk_error_of([&] { read_image(test::mkfs_images("mkfs-fst", 1, "")); }).find(
            "compat_ro features 0x3 FREE_SPACE_TREE FREE_SPACE_TREE_VALID are not modelled") != std::string::npos);
  const auto two = test::mkfs_images("mkfs-two", 2, "-R ^free-space-tree -m raid1 -d raid1");
  CHECK(test::ondisk_error_of([&] { read_image({two[0]}); }) == "malformed: the filesystem has 2 devices, 1 images were given");
  const auto other = test::mkfs_images("mkfs-other", 1, "-R ^free-space-tree");
  CHECK(test::ondisk_error_of([&] { read_image({two[0], other[0]}); }).find("another filesystem than") != std::string::npos);
  CHECK(test::ondisk_error_of([&] { read_image({two[0], two[0]}); }).find("devid 1 is also") != std::string::npos);
  // A damaged copy of the root tree's block is read from its other copy (metadata dup); both damaged is an error.
  const image_contents good = read_image(other);
  const uint64_t root = good.trees.at(BTRFS_ROOT_TREE_OBJECTID).bytenr;
  const chunk_map m = map_lookup_from_chunk(std::prev(good.chunks.upper_bound(root))->first, std::prev(good.chunks.upper_bound(root))->second);
  REQUIRE(map_num_copies(m) == 2);
  std::vector<uint64_t> copies;
  for (int mirror = 1; mirror <= 2; ++mirror) copies.push_back(map_stripe_piece(m, root - m.start, mirror).physical);
  auto damaged = [&](std::vector<uint64_t> at) {
    device_image_source s = other[0];
    auto inner = s.read;
    s.read = [inner, at](uint64_t physical, size_t n) {
      std::vector<uint8_t> b = inner(physical, n);
      for (uint64_t p : at)
        if (p >= physical && p + 200 < physical + n) b[p - physical + 200] ^= 0xff;
      return b;
    };
    return s;
  };
  CHECK(test::ondisk_error_of([&] { read_image({damaged({copies[0]})}); }) == "no error");
  const std::string both = test::ondisk_error_of([&] { read_image({damaged(copies)}); });
  CHECK(both.find(fmt::format("malformed: no copy of tree block {} is good", root)) == 0);
  CHECK(both.find("checksum verify failed") != std::string::npos);
}
