// Helpers for the data-path tests: files, patterns, extent lookups, device corruption.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/bio.hpp"
#include "model/data/data_check.hpp"
#include "model/data/data_pattern.hpp"
#include "model/data/file.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "model/fsck.hpp"
#include "model/transaction.hpp"
#include "tests/model/model_fixture.hpp"

namespace fsrace::test {

// Inside fibers, model calls must not run inside Catch2's REQUIRE/CHECK: a fiber unwound at the end
// of an execution (a finding elsewhere) must not have its unwinding caught by the macro. `must`
// turns a failing return value into an exception, which ends the execution as a tool error that
// run_in_fiber reports.
inline void must(int64_t ret, const char* what) {
  if (ret < 0) throw std::runtime_error(std::string(what) + " returned " + std::to_string(ret));
}
#define MUST(expr) ::fsrace::test::must((expr), #expr)

constexpr uint64_t kFsTree = model::BTRFS_FS_TREE_OBJECTID;

inline std::vector<uint8_t> pattern_bytes(uint64_t seed, uint64_t offset, uint64_t len) {
  std::vector<uint8_t> v(len);
  model::fill_pattern(seed, offset, v);
  return v;
}

// Creates `name` (inside a fiber) and returns its inode with a reference held.
inline model::btrfs_inode& create_file(model::btrfs_fs_info& fs, const std::string& name, bool nodatacow = false) {
  uint64_t ino = 0;
  MUST(model::btrfs_create(fs, kFsTree, name, nodatacow, &ino, "create " + name));
  model::btrfs_inode& inode = *model::btrfs_iget(fs, kFsTree, ino);
  model::btrfs_igrab(inode);
  return inode;
}

inline model::btrfs_inode& open_file(model::btrfs_fs_info& fs, const std::string& name) {
  const uint64_t ino = model::btrfs_lookup_name(fs, kFsTree, name);
  if (!ino) throw std::runtime_error("no file " + name);
  model::btrfs_inode& inode = *model::btrfs_iget(fs, kFsTree, ino);
  model::btrfs_igrab(inode);
  return inode;
}

inline std::vector<model::file_extent> file_extents(model::btrfs_fs_info& fs, const model::btrfs_inode& inode) {
  return model::btrfs_lookup_file_extents(fs, *fs.get_fs_root(inode.root), inode.ino, 0, ~0ull);
}

// An item with exactly this key in the tree's commit root (read-only search of the commit root).
inline bool in_commit_root(model::btrfs_fs_info& fs, model::btrfs_root& root, const model::btrfs_key& key) {
  model::btrfs_path path(true, true);
  return model::btrfs_search_slot(fs, root, key, path) == 0;
}
inline bool in_current_root(model::btrfs_fs_info& fs, model::btrfs_root& root, const model::btrfs_key& key) {
  model::item_value v;
  return model::btrfs_lookup_item(fs, root, key, &v) == 0;
}

// Overwrites one copy (mirror, 1-based) of [logical, logical + len) with `byte`.
inline void corrupt_mirror(model::btrfs_fs_info& fs, uint64_t logical, uint64_t len, int mirror, uint8_t byte) {
  std::vector<model::btrfs_bio_stripe> stripes;
  MUST(model::btrfs_map_block(fs, model::map_op::read, logical, len, mirror, stripes));
  std::vector<uint8_t> junk(len, byte);
  MUST(model::btrfs_dev_write(fs, stripes.at(0), len, junk.data()));
}

// Reads one copy of [logical, logical + len) straight from its device.
inline std::vector<uint8_t> read_mirror(model::btrfs_fs_info& fs, uint64_t logical, uint64_t len, int mirror) {
  std::vector<model::btrfs_bio_stripe> stripes;
  MUST(model::btrfs_map_block(fs, model::map_op::read, logical, len, mirror, stripes));
  std::vector<uint8_t> out(len);
  MUST(model::btrfs_dev_read(fs, stripes.at(0), len, out.data()));
  return out;
}

inline bool all_zero(const std::vector<uint8_t>& v) {
  return std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; });
}

/// What fsck and the data oracle find wrong (each problem also logged for a failing check).
inline std::vector<std::string> fsck_and_oracle_problems(model::btrfs_fs_info& fs) {
  auto p = model::btrfs_check(fs);
  auto d = model::btrfs_check_data_against_oracle(fs);
  p.insert(p.end(), d.begin(), d.end());
  for (const auto& line : p) UNSCOPED_INFO(line);
  return p;
}

/// Writes two 16 KiB extents into `inode` (pattern 1 at 0, pattern 2 at 16 KiB), each synced, and
/// returns the file's extents (two, in file order). Call inside run_in_fiber.
inline std::vector<model::file_extent> write_two_extents(model::btrfs_fs_info& fs, model::btrfs_inode& inode) {
  MUST(model::btrfs_buffered_write(fs, inode, 0, pattern_bytes(1, 0, 16384), "write a 0"));
  MUST(model::btrfs_sync_fs(fs));
  MUST(model::btrfs_buffered_write(fs, inode, 16384, pattern_bytes(2, 16384, 16384), "write a 16K"));
  MUST(model::btrfs_sync_fs(fs));
  auto extents = file_extents(fs, inode);
  REQUIRE(extents.size() == 2);
  return extents;
}

}  // namespace fsrace::test
