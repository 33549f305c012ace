// A set of byte ranges [start, end) kept merged: the storage behind one bit of an extent_io_tree
// (EXTENT_DELALLOC, EXTENT_LOCKED). Pure computation, no scheduling points.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace fsrace::model {

class range_set {
 public:
  // Adds [start, end); merges with touching or overlapping ranges.
  void add(uint64_t start, uint64_t end);
  // Removes [start, end), splitting ranges that straddle its edges.
  void remove(uint64_t start, uint64_t end);
  bool intersects(uint64_t start, uint64_t end) const;
  bool covers(uint64_t start, uint64_t end) const;
  bool contains(uint64_t pos) const { return covers(pos, pos + 1); }
  // The first range that ends after `pos` (it may start before pos), clipped to nothing.
  std::optional<std::pair<uint64_t, uint64_t>> first_from(uint64_t pos) const;
  // Bytes of [start, end) that are in the set.
  uint64_t bytes_in(uint64_t start, uint64_t end) const;
  uint64_t total_bytes() const;
  bool empty() const { return ranges_.empty(); }
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }  // start -> end

 private:
  std::map<uint64_t, uint64_t> ranges_;
};

}  // namespace fsrace::model
