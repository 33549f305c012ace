// The import (model/ondisk/open_ctree, a scenario's "image"): mkfs.btrfs images mount as the model's
// filesystem and pass its fsck; a scenario on them reads the images' files, runs, exports back to images
// that btrfs check accepts, with every tree nothing changed identical to the image's; a seed race is found
// from images as from the model's mkfs; what the model cannot take is refused by name, exit 2.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/fsck.hpp"
#include "model/ondisk/open_ctree.hpp"
#include "tests/reports/process.hpp"
#include "tests/sim/mkfs_images.hpp"

using namespace fsrace;
using namespace fsrace::model;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

// dump-tree of one tree, without the super block's totals it prints first (they follow every commit).
std::string dump_tree(const fs::path& image, const std::string& tree) {
  const auto r = test::run_shell("btrfs inspect-internal dump-tree -t " + tree + " '" + image.string() +
                                 "' | grep -v -e '^total bytes' -e '^bytes used'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r.out;
}

// The top directory of a single-device image holds a (200000 bytes) and b (70000 bytes) of random data.
fs::path rootdir_image(const std::string& name) {
  const fs::path dir = test::scratch_dir() / (name + "-root");
  fs::remove_all(dir);
  fs::create_directories(dir);
  REQUIRE(test::run_shell("head -c 200000 /dev/urandom > '" + (dir / "a").string() + "' && head -c 70000 /dev/urandom > '" +
                          (dir / "b").string() + "'").code == 0);
  return test::mkfs_image_files(name, 1, "-R ^free-space-tree --rootdir '" + dir.string() + "'", "512M").front();
}

}  // namespace

TEST_CASE("import: mkfs.btrfs images mount as the model's filesystem and pass its fsck", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  struct layout {
    const char* name;
    int devices;
    const char* options;
    uint64_t metadata_profile;
  };
  for (const layout& l : {layout{"open-dup", 1, "-R ^free-space-tree", BTRFS_BLOCK_GROUP_DUP},
                          layout{"open-single", 1, "-R ^free-space-tree -m single -d single", 0},
                          layout{"open-raid1", 2, "-R ^free-space-tree -m raid1 -d raid1", BTRFS_BLOCK_GROUP_RAID1},
                          layout{"open-three", 3, "-R ^free-space-tree -m raid1 -d single", BTRFS_BLOCK_GROUP_RAID1}}) {
    INFO(l.name);
    const auto fs = ondisk::btrfs_open_ctree(test::mkfs_images(l.name, l.devices, l.options));
    const auto problems = btrfs_check(*fs);
    INFO(fmt::format("{}", fmt::join(problems, "\n")));
    CHECK(problems.empty());
    CHECK(fs->devices.size() == size_t(l.devices));
    CHECK(fs->block_group_cache_tree.size() == fs->mapping_tree.size());
    CHECK(fs->profiles.at("metadata") == l.metadata_profile);
    REQUIRE(fs->imported);
    size_t cached = 0;
    fs->buffer_radix.for_each([&](uint64_t bytenr, const tree_block_ptr& b) {
      cached++;
      CHECK(fs->imported->blocks.count(bytenr));
      CHECK(b->header.bytenr == bytenr);
    });
    CHECK(fs->imported->blocks.size() == cached);
    // read_one_block_group: every empty group waits on unused_bgs for the cleaner, the others do not.
    for (const auto& [start, bg] : fs->block_group_cache_tree)
      CHECK(bg->on_unused_list == (bg->used == 0));
    // Space infos sum their groups; each device's bytes_used is its stripes.
    uint64_t total = 0;
    for (const auto& s : fs->space_info) total += s.total_bytes;
    uint64_t chunks = 0;
    for (const auto& [logical, map] : fs->mapping_tree) chunks += map->length;
    CHECK(total == chunks);
    CHECK(fs->roots.count(BTRFS_UUID_TREE_OBJECTID));
    CHECK(fs->roots.count(BTRFS_DATA_RELOC_TREE_OBJECTID));
  }
}

TEST_CASE("import: a scenario on an image reads its files, writes, and exports to images btrfs check accepts, "
          "untouched trees byte for byte", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  const fs::path image = rootdir_image("import-files");
  const fs::path dir = image.parent_path();
  // Nothing changes the filesystem: every tree of the export is the image's.
  write_text(dir / "read.json", R"({"name": "import-read", "title": "reads the image's files",
    "filesystem": {"image": ["0.img"]},
    "threads": [{"name": "t", "ops": [{"op": "read_verify", "file": "a"}, {"op": "read_verify", "file": "b"}]}],
    "explore": {"strategy": "random", "runs": 1},
    "expectations": [{"fixes": "on", "result": "clean"}]})");
  auto r = test::run_shell(test::fsrace_cmd("run '" + (dir / "read.json").string() + "'"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  r = test::run_shell(test::fsrace_cmd("export '" + (dir / "read.json").string() + "' -o '" + (dir / "out-read").string() + "'"));
  REQUIRE(r.code == 0);
  for (const char* tree : {"root", "extent", "chunk", "dev", "fs", "csum", "uuid", "18446744073709551607"}) {
    INFO("tree " << tree);
    CHECK(dump_tree(dir / "out-read" / "0.img", tree) == dump_tree(image, tree));
  }
  // A write to an image file and a new file, committed: btrfs check accepts the export; the trees the
  // commit did not change (chunk, device, uuid, data relocation) are still the image's.
  write_text(dir / "write.json", R"({"name": "import-write", "title": "writes the image's files",
    "filesystem": {"image": ["0.img"], "setup": [
      {"op": "write", "file": "b", "offset": 4096, "length": "64KiB"},
      {"op": "create_file", "file": "c"}, {"op": "write", "file": "c", "offset": 0, "length": "1MiB"},
      {"op": "sync"}]},
    "threads": [{"name": "t", "ops": [{"op": "read_verify", "file": "a"}, {"op": "read_verify", "file": "b"},
                                      {"op": "read_verify", "file": "c"}]}],
    "explore": {"strategy": "random", "runs": 1},
    "expectations": [{"fixes": "on", "result": "clean"}]})");
  r = test::run_shell(test::fsrace_cmd("run '" + (dir / "write.json").string() + "'"));
  REQUIRE(r.code == 0);
  r = test::run_shell(test::fsrace_cmd("export '" + (dir / "write.json").string() + "' -o '" + (dir / "out-write").string() + "'"));
  REQUIRE(r.code == 0);
  r = test::run_shell("btrfs check '" + (dir / "out-write" / "0.img").string() + "'");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  for (const char* tree : {"chunk", "dev", "uuid", "18446744073709551607"}) {
    INFO("tree " << tree);
    CHECK(dump_tree(dir / "out-write" / "0.img", tree) == dump_tree(image, tree));
  }
  CHECK(dump_tree(dir / "out-write" / "0.img", "fs") != dump_tree(image, "fs"));
}

// dump-tree of each tree of a filesystem on several image files: attached as loop devices (btrfs-progs
// finds a filesystem's other devices only among block devices), always detached again.
std::string dump_trees_on_loops(const std::vector<fs::path>& images) {
  std::string attach;
  for (const auto& p : images) attach += "l=$(losetup --find --show --read-only '" + p.string() + "') && loops=\"$loops $l\" && ";
  const auto r = test::run_shell("loops=''; trap 'for l in $loops; do losetup -d $l; done' EXIT; " + attach +
                                 "first=${loops# }; first=${first%% *}; for t in root extent chunk dev fs csum uuid "
                                 "18446744073709551607; do btrfs inspect-internal dump-tree -t $t $first | grep -v -e "
                                 "'^total bytes' -e '^bytes used' || exit 1; done");
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r.out;
}

TEST_CASE("import: images on 2 and 3 devices come back from the export tree for tree identical (loop devices, root)",
          "[ondisk][import]") {
  if (!test::have_mkfs() || test::run_shell("test $(id -u) -eq 0 && command -v losetup").code != 0) {
    WARN("SKIPPED: needs mkfs.btrfs and root for losetup");
    return;
  }
  for (const auto& [name, count, options] : {std::tuple{"loops-raid1", 2, "-R ^free-space-tree -m raid1 -d raid1"},
                                             std::tuple{"loops-three", 3, "-R ^free-space-tree -m raid1 -d single"}}) {
    INFO(name);
    const auto images = test::mkfs_image_files(name, count, options);
    const fs::path dir = images.front().parent_path();
    std::string list;
    for (const auto& p : images) list += (list.empty() ? "\"" : ", \"") + p.filename().string() + "\"";
    write_text(dir / "sc.json", "{\"name\": \"loops\", \"title\": \"t\", \"filesystem\": {\"image\": [" + list +
                                    "]}, \"threads\": [{\"name\": \"t\", \"ops\": [{\"op\": \"sync\"}]}], "
                                    "\"expectations\": [{\"fixes\": \"on\", \"result\": \"clean\"}]}");
    const auto r = test::run_shell(test::fsrace_cmd("export '" + (dir / "sc.json").string() + "' -o '" + (dir / "out").string() + "'"));
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    std::vector<fs::path> exported;
    for (int i = 0; i < count; ++i) exported.push_back(dir / "out" / fmt::format("{}.img", i));
    const std::string before = dump_trees_on_loops(images), after = dump_trees_on_loops(exported);
    CHECK(before.size() > 1000);
    CHECK(after == before);
  }
}

TEST_CASE("import: a btrfs-image dump restored reads its data as zeroes, and its export passes btrfs check with data "
          "checksums", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  const fs::path image = rootdir_image("import-metadump");
  const fs::path dir = image.parent_path();
  auto r = test::run_shell("cd '" + dir.string() + "' && btrfs-image 0.img dump && btrfs-image -r dump restored.img");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  write_text(dir / "dump.json", R"({"name": "import-metadump", "title": "a metadata dump",
    "filesystem": {"image": ["restored.img"]},
    "threads": [{"name": "t", "ops": [{"op": "read_verify", "file": "a"}, {"op": "read_verify", "file": "b"}]}],
    "explore": {"strategy": "random", "runs": 1},
    "expectations": [{"fixes": "on", "result": "clean"}]})");
  r = test::run_shell(test::fsrace_cmd("run '" + (dir / "dump.json").string() + "'"));
  REQUIRE(r.code == 0);
  r = test::run_shell(test::fsrace_cmd("export '" + (dir / "dump.json").string() + "' -o '" + (dir / "out").string() + "'"));
  REQUIRE(r.code == 0);
  // btrfs check skips the data checksums of a metadata dump; the export is no longer one, and its data
  // (zeroes) matches its checksums.
  r = test::run_shell("btrfs check --readonly --check-data-csum '" + (dir / "restored.img").string() + "'");
  CHECK_THAT(r.out, Catch::Contains("skip data csum verification for metadata dump"));
  r = test::run_shell("btrfs check --readonly --check-data-csum '" + (dir / "out" / "0.img").string() + "'");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, !Catch::Contains("skip data csum verification"));
  // The trees are the image's but for the checksums of the data, now those of zeroes (dump-tree does not
  // print checksum values).
  for (const char* tree : {"root", "extent", "chunk", "dev", "fs", "csum", "uuid"}) {
    INFO("tree " << tree);
    CHECK(dump_tree(dir / "out" / "0.img", tree) == dump_tree(image, tree));
  }
}

TEST_CASE("import: scrub-vs-bg-deletion started from mkfs.btrfs images finds its race, and the fix closes it",
          "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  const auto images = test::mkfs_image_files("import-race", 3, "-R ^free-space-tree -m dup -d single", "1G");
  const fs::path dir = images.front().parent_path();
  nlohmann::json sc = nlohmann::json::parse(test::slurp(FSRACE_SOURCE_DIR "/scenarios/scrub-vs-bg-deletion.json"));
  sc["name"] = "scrub-vs-bg-deletion-image";
  sc["filesystem"].erase("devices");
  sc["filesystem"].erase("profiles");
  sc["filesystem"]["image"] = {"0.img", "1.img", "2.img"};
  // mkfs.btrfs puts the first data chunk on devid 1 (the model's mkfs on devid 3): scrub that device.
  sc["threads"][0]["ops"][0]["dev"] = 0;
  write_text(dir / "race.json", sc.dump(2));
  const auto r = test::run_shell(test::fsrace_cmd("run '" + (dir / "race.json").string() + "'"));
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("fixes=off  expected violation") && Catch::Contains("found violation at execution"));
  CHECK_THAT(r.out, Catch::Contains("fixes=on  expected clean  clean in") && Catch::Contains("the bounded space is exhausted"));
}

TEST_CASE("import: snapshots (blocks shared between trees, full back references) come back from the export tree "
          "for tree identical", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  const fs::path dir = test::scratch_dir() / "import-snapshots";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // 40 files with 4KiB nodes (a node above the leaves), a read-only snapshot s0, rewrites in the source
  // (its shared leaves go to full back references), a writable snapshot s1, a rewrite in the source and a
  // clone into s1: three trees share blocks, some by root and some by parent.
  nlohmann::json setup = nlohmann::json::array();
  for (int i = 0; i < 40; ++i)
    setup.push_back({{"op", "create_file"}, {"file", fmt::format("f{:02}", i)}, {"size", "4KiB"}, {"seed", i + 1}});
  setup.push_back({{"op", "create_snapshot"}, {"name", "s0"}, {"source", ""}, {"readonly", true}});
  for (int i = 0; i < 40; i += 7)
    setup.push_back({{"op", "write"}, {"file", fmt::format("f{:02}", i)}, {"offset", 0}, {"length", "8KiB"}});
  setup.push_back({{"op", "create_snapshot"}, {"name", "s1"}, {"source", ""}, {"readonly", false}});
  setup.push_back({{"op", "write"}, {"file", "f20"}, {"offset", 0}, {"length", "4KiB"}});
  setup.push_back({{"op", "clone"}, {"src", "f05"}, {"src_offset", 0}, {"dst", "f06"}, {"dst_offset", 0}, {"length", "4KiB"},
                   {"dst_subvolume", "s1"}});
  setup.push_back({{"op", "sync"}});
  nlohmann::json a = {{"name", "import-snapshots-source"},
                      {"title", "snapshots sharing blocks"},
                      {"filesystem", {{"devices", {"512MiB"}}, {"nodesize", "4KiB"}, {"setup", setup}}},
                      {"threads", {{{"name", "t"}, {"ops", {{{"op", "read_verify"}, {"file", "f03"}}}}}}},
                      {"invariants", {"fsck"}},
                      {"explore", {{"strategy", "random"}, {"runs", 1}}},
                      {"expectations", {{{"fixes", "on"}, {"result", "clean"}}}}};
  write_text(dir / "a.json", a.dump(2));
  auto r = test::run_shell(test::fsrace_cmd("export '" + (dir / "a.json").string() + "' -o '" + (dir / "a").string() + "'"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  r = test::run_shell("btrfs check '" + (dir / "a" / "0.img").string() + "'");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  // The same filesystem from the images; the model's fsck after setup and at the end.
  nlohmann::json b = a;
  b["name"] = "import-snapshots";
  b["filesystem"] = {{"image", {"a/0.img"}}};
  // The files read back, and a clone from the read-only snapshot into the writable one (both named by
  // the images' ROOT_BACKREF entries), committed.
  b["threads"][0]["ops"] = {{{"op", "read_verify"}, {"file", "f00"}}, {{"op", "read_verify"}, {"file", "f20"}},
                            {{"op", "clone"}, {"src", "f01"}, {"src_offset", 0}, {"src_subvolume", "s0"}, {"dst", "f02"},
                             {"dst_offset", 0}, {"length", "4KiB"}, {"dst_subvolume", "s1"}},
                            {{"op", "sync"}}};
  write_text(dir / "b.json", b.dump(2));
  r = test::run_shell(test::fsrace_cmd("run '" + (dir / "b.json").string() + "'"));
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  r = test::run_shell(test::fsrace_cmd("export '" + (dir / "b.json").string() + "' -o '" + (dir / "b").string() + "'"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  for (const char* tree : {"root", "extent", "chunk", "dev", "fs", "csum", "uuid", "256", "257", "18446744073709551607"}) {
    INFO("tree " << tree);
    CHECK(dump_tree(dir / "b" / "0.img", tree) == dump_tree(dir / "a" / "0.img", tree));
  }
  // The export after the thread's clone into s1 and its commit.
  r = test::run_shell(test::fsrace_cmd("export '" + (dir / "b.json").string() + "' --seed 0 -o '" + (dir / "c").string() + "'"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  r = test::run_shell("btrfs check '" + (dir / "c" / "0.img").string() + "'");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(dump_tree(dir / "c" / "0.img", "257") != dump_tree(dir / "a" / "0.img", "257"));
}

TEST_CASE("import: what the model cannot take is refused by name, exit 2", "[ondisk][import]") {
  FSRACE_SKIP_WITHOUT_MKFS();
  const fs::path dir = test::scratch_dir() / "import-refused";
  fs::create_directories(dir);
  // mkfs.btrfs's defaults include the free space tree.
  test::mkfs_image_files("import-refused/fst", 1, "");
  // A file in a subdirectory.
  fs::create_directories(dir / "nested" / "root" / "sub");
  REQUIRE(test::run_shell("head -c 8192 /dev/urandom > '" + (dir / "nested" / "root" / "sub" / "f").string() + "'").code == 0);
  test::mkfs_image_files("import-refused/nested/img", 1, "-R ^free-space-tree --rootdir '" + (dir / "nested" / "root").string() + "'");
  const fs::path good = test::mkfs_image_files("import-refused/good", 1, "-R ^free-space-tree").front();
  struct bad {
    std::string filesystem, at, says;
  };
  const std::string good_path = "\"" + good.string() + "\"";
  for (const bad& b : {
           bad{R"({"image": ["fst/0.img"]})", "/filesystem/image", "FREE_SPACE_TREE"},
           bad{R"({"image": ["nested/img/0.img"]})", "/filesystem/image", "regular files in the top directory only"},
           bad{R"({"image": ["missing.img"]})", "/filesystem/image/0", "no device image at"},
           bad{R"({"image": ["."]})", "/filesystem/image/0", "is not a regular file"},
           bad{R"({"image": []})", "/filesystem/image", "expected an array of 1 to 16 device image files"},
           bad{"{\"image\": [" + good_path + "], \"profiles\": {\"data\": \"dup\"}}", "/filesystem/profiles", "comes from the image"},
           bad{"{\"image\": [" + good_path + "], \"nodesize\": 4096}", "/filesystem/nodesize", "comes from the image"},
           bad{"{\"image\": [" + good_path + "], \"devices\": [\"1GiB\"]}", "/filesystem/image", "not both"},
           bad{R"({})", "/filesystem", "or \"image\""},
           bad{"{\"image\": [" + good_path + ", " + good_path + "]}", "/filesystem/image", "devid 1 is also"},
       }) {
    INFO(b.filesystem);
    write_text(dir / "bad.json", R"({"name": "bad", "title": "t", "filesystem": )" + b.filesystem + R"(,
      "threads": [{"name": "t", "ops": [{"op": "sync"}]}], "expectations": [{"fixes": "on", "result": "clean"}]})");
    const auto r = test::run_shell(test::fsrace_cmd("validate '" + (dir / "bad.json").string() + "'"));
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad.json: " + b.at + ":") && Catch::Contains(b.says));
  }
  // A file the scenario uses that neither the image nor an operation has.
  write_text(dir / "name.json", "{\"name\": \"name\", \"title\": \"t\", \"filesystem\": {\"image\": [" + good_path +
                                    "]}, \"threads\": [{\"name\": \"t\", \"ops\": [{\"op\": \"read_verify\", \"file\": "
                                    "\"nope\"}]}], \"expectations\": [{\"fixes\": \"on\", \"result\": \"clean\"}]}");
  const auto r = test::run_shell(test::fsrace_cmd("validate '" + (dir / "name.json").string() + "'"));
  INFO(r.out << r.err);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("name.json: /threads/0/ops/0/file:") && Catch::Contains("no file named \"nope\" in the images"));
}
