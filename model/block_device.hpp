// A block device holding bytes, addressed by physical offset in 4 KiB sectors. Sparse, and cloned in
// O(1) through cow_map. Tree blocks are stored as an image of the block (header + items) at their
// physical offset instead of serialised bytes: reading a tree block back returns exactly what was
// written there, or nothing when data (or nothing) was written at that offset.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/cow_map.hpp"
#include "model/tree_block.hpp"

namespace fsrace::model {

constexpr uint32_t SECTORSIZE = 4096;

// A data sector's bytes, immutable once written (held through a pointer to const; a rewrite makes a new
// object), with their btrfs_csum_sector computed on first use and kept with them: the memo is keyed on
// the bytes' identity, so it can never describe other bytes. Atomic, since a frozen base's sectors are
// read by every worker thread (each computes the same value).
struct sector_bytes : std::vector<uint8_t> {
  using std::vector<uint8_t>::vector;
  sector_bytes(const sector_bytes&) = delete;
  sector_bytes& operator=(const sector_bytes&) = delete;
  uint32_t csum() const;

 private:
  mutable std::atomic<uint64_t> csum_{0};  // bit 32 set once computed; the checksum in the low bits
};

struct sector {
  std::shared_ptr<const sector_bytes> data;  // SECTORSIZE bytes, or null for a tree block part
  tree_block_ptr tree;                                // the tree block this sector belongs to
  uint32_t tree_part = 0;                             // index of this sector within that tree block
};

class block_device {
 public:
  block_device() = default;
  block_device(std::string name, uint64_t size) : name_(std::move(name)), size_(size) {}

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }

  // Whole sectors only; writes past the end are a model bug (asserted by callers through map_block).
  void write(uint64_t physical, std::span<const uint8_t> bytes);
  void read(uint64_t physical, std::span<uint8_t> out) const;  // unwritten sectors read as zeros
  // blkdev_issue_discard: the device forgets the sectors of the range, which then read as zeros (what a
  // device that returns zeros after discard, as most SSDs and thin volumes do, shows).
  void discard(uint64_t physical, uint64_t len);
  void write_tree_block(uint64_t physical, tree_block_ptr block, uint32_t nodesize);
  // The tree block whose image starts at `physical`, or null (data, garbage or never written there).
  tree_block_ptr read_tree_block(uint64_t physical) const;
  // The same; *frozen tells whether the sector is the frozen base's (see cow_map::find): the prepared
  // state's, unchanged by this clone.
  tree_block_ptr read_tree_block(uint64_t physical, bool* frozen) const;
  bool written(uint64_t physical) const { return sectors_.contains(physical / SECTORSIZE); }
  // The sector holding `physical` as read() finds it, or null (never written, or discarded). A sector's
  // data and tree block are immutable while shared, so a caller that keeps copies of their pointers can
  // tell by comparing them whether a later read returns the same bytes.
  const sector* find_sector(uint64_t physical) const { return sectors_.find(physical / SECTORSIZE); }
  // Every written sector in physical order: f(physical, sector) (the image export).
  template <class F> void for_each_sector(F&& f) const {
    sectors_.for_each([&](uint64_t index, const sector& s) { f(index * SECTORSIZE, s); });
  }

  void freeze() { sectors_.freeze(); }
  size_t delta_sectors() const { return sectors_.delta_size(); }

 private:
  std::string name_;
  uint64_t size_ = 0;
  cow_map<uint64_t, sector> sectors_;  // keyed by physical / SECTORSIZE
};

}  // namespace fsrace::model
