// Helpers for the snapshot and send tests: files written through the data paths into any
// subvolume, snapshots, send + receive, and the expected content of a subvolume.
#pragma once
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/data/data_pattern.hpp"
#include "model/data/file.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "model/fsck.hpp"
#include "model/maint/receive.hpp"
#include "model/maint/send.hpp"
#include "model/maint/snapshot.hpp"
#include "tests/model/model_fixture.hpp"

namespace fsrace::test {

// Creates `name` in subvolume `root` if needed and writes `len` bytes of pattern `seed` at `pos`
// (buffered). In a fiber.
inline void write_in(model::btrfs_fs_info& fs, uint64_t root, const std::string& name, uint64_t pos, uint64_t len,
                     uint64_t seed) {
  uint64_t ino = model::btrfs_lookup_name(fs, root, name);
  if (!ino) REQUIRE(model::btrfs_create(fs, root, name, false, &ino, "create " + name) == 0);
  model::btrfs_inode* inode = model::btrfs_iget(fs, root, ino);
  REQUIRE(inode);
  std::vector<uint8_t> data(len);
  model::fill_pattern(seed, pos, data);
  REQUIRE(model::btrfs_buffered_write(fs, *inode, pos, data, "write " + name) == 0);
}

inline uint64_t snapshot(model::btrfs_fs_info& fs, uint64_t source, const std::string& name, bool readonly = true) {
  uint64_t id = 0;
  REQUIRE(model::btrfs_ioctl_snap_create(fs, source, model::BTRFS_FS_TREE_OBJECTID, name, readonly, &id) == 0);
  return id;
}

// Sends `snap` (incrementally from `parent` if non-zero) and receives the stream; returns the
// differences between the received subvolume and the snapshot. In a fiber.
inline std::vector<std::string> send_receive(model::btrfs_fs_info& fs, uint64_t snap, uint64_t parent,
                                             model::send_stream_ptr* stream_out = nullptr) {
  model::send_stream_ptr stream;
  REQUIRE(model::btrfs_ioctl_send(fs, snap, parent, &stream) == 0);
  REQUIRE(stream);
  std::string error;
  INFO("receive error: " << error);
  REQUIRE(model::btrfs_receive(fs.received_subvols, *stream, &error) == 0);
  if (stream_out) *stream_out = stream;
  return model::compare_received(fs.received_subvols.at(snap), model::btrfs_subvol_content(fs, snap, nullptr));
}

inline std::vector<uint8_t> pattern(uint64_t seed, uint64_t pos, uint64_t len) {
  std::vector<uint8_t> v(len);
  model::fill_pattern(seed, pos, v);
  return v;
}

inline size_t count_cmds(const model::send_stream& s, model::send_cmd c) {
  size_t n = 0;
  for (const auto& x : s.commands) n += x.cmd == c;
  return n;
}

inline std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& l : v) out += l + "\n";
  return out;
}

}  // namespace fsrace::test
