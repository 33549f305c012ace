// Round trip of the on-disk format for tests: every super block copy and tree block of a filesystem's
// exported device images parsed back (model/ondisk readers) and written again must give the same bytes.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <map>
#include <span>
#include <vector>

#include "model/fs_info.hpp"
#include "model/ondisk/image.hpp"
#include "model/ondisk/le_reader.hpp"
#include "model/ondisk/super_block.hpp"
#include "model/ondisk/tree_block_bytes.hpp"

namespace fsrace::test {
namespace ondisk_round_trip {
using namespace model;
using namespace model::ondisk;

// One device image as the export writes it: regions by physical offset (each sector of a tree block is
// a region of its own).
struct device_image {
  std::map<uint64_t, std::vector<uint8_t>> regions;
  std::vector<uint8_t> at(uint64_t physical, size_t n) const {
    std::vector<uint8_t> out;
    for (auto it = regions.find(physical); it != regions.end() && out.size() < n && it->first == physical + out.size(); ++it)
      out.insert(out.end(), it->second.begin(), it->second.end());
    out.resize(std::min(out.size(), n));
    return out;
  }
};

inline device_image image_of(const btrfs_fs_info& fs, uint64_t devid) {
  device_image img;
  write_device_image(fs, devid, [&](uint64_t physical, std::span<const uint8_t> b) { img.regions[physical] = {b.begin(), b.end()}; });
  return img;
}

// Where the model's writeback put the first sector of each tree block on the device.
inline std::vector<uint64_t> tree_block_offsets(const btrfs_fs_info& fs, uint64_t devid) {
  std::vector<uint64_t> out;
  fs.devices.at(devid)->bdev.for_each_sector([&](uint64_t physical, const sector& s) {
    if (s.tree && s.tree_part == 0) out.push_back(physical);
  });
  return out;
}

// Parses every super block copy and tree block of every device image and writes each back; returns the
// number of tree blocks (the same bytes are required of each).
inline size_t round_trip(const btrfs_fs_info& fs) {
  const fs_identity& id = fixed_identity();
  size_t blocks = 0;
  for (const auto& [devid, d] : fs.devices) {
    const device_image img = image_of(fs, devid);
    size_t supers = 0;
    for (int mirror = 0; mirror < BTRFS_SUPER_MIRROR_MAX; ++mirror) {
      const auto bytes = img.at(btrfs_sb_offset(mirror), BTRFS_SUPER_INFO_SIZE);
      if (bytes.empty()) continue;
      INFO("devid " << devid << " super block copy " << mirror);
      const parsed_super p = parse_super_block(bytes, "super block");
      CHECK(p.fsid == id.fsid);
      CHECK(p.bytenr == btrfs_sb_offset(mirror));
      CHECK(p.fields.dev_item.devid == devid);
      CHECK(super_block_bytes(p.fields, mirror, id) == bytes);
      ++supers;
    }
    CHECK(supers >= 2);  // 64 KiB and 64 MiB: every device of the model is at least 128 MiB
    for (uint64_t physical : tree_block_offsets(fs, devid)) {
      INFO("devid " << devid << " physical " << physical);
      const auto bytes = img.at(physical, fs.nodesize);
      const tree_block b = parse_tree_block(bytes, fs.nodesize, id, "tree block");
      CHECK(tree_block_bytes(b, fs.nodesize, id) == bytes);
      ++blocks;
    }
  }
  return blocks;
}

// "malformed: ...", "unsupported: ..." or "no error": what a reader of on-disk bytes made of `f`.
inline std::string ondisk_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const malformed& e) {
    return std::string("malformed: ") + e.what();
  } catch (const unsupported& e) {
    return std::string("unsupported: ") + e.what();
  }
  return "no error";
}

}  // namespace ondisk_round_trip
using ondisk_round_trip::device_image, ondisk_round_trip::image_of, ondisk_round_trip::round_trip,
    ondisk_round_trip::tree_block_offsets, ondisk_round_trip::ondisk_error_of;
}  // namespace fsrace::test
