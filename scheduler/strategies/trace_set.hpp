#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fsrace::sched {

/// A set of 64-bit trace hashes with a size limit: counts the distinct Mazurkiewicz traces a search ran
/// (DporStrategy::traces()). Open addressing over a power-of-two table that doubles at half load, so the
/// cost of an insert does not depend on the count; past kLimit distinct hashes it stops growing and says
/// so (capped()), so that memory stays bounded (at most 2 * kLimit slots of 8 bytes: 64 MiB).
class TraceSet {
 public:
  static constexpr size_t kLimit = size_t{1} << 22;

  /// Adds h; false when it was there already or the set is full.
  bool insert(uint64_t h) {
    if (h == 0) h = 1;  // 0 marks an empty slot
    if (slots_.empty()) slots_.assign(1024, 0);
    size_t i = slot_of(h);
    for (size_t probes = 0; probes < slots_.size(); ++probes, i = (i + 1) & (slots_.size() - 1)) {  // bounded
      if (slots_[i] == h) return false;
      if (slots_[i] != 0) continue;
      if (size_ >= kLimit) {
        capped_ = true;
        return false;
      }
      slots_[i] = h;
      if (++size_ * 2 > slots_.size()) grow();
      return true;
    }
    return false;  // cannot happen: the table is never more than half full
  }
  size_t size() const { return size_; }
  /// Whether a hash was left out because the set was full: size() is then a lower bound.
  bool capped() const { return capped_; }

 private:
  size_t slot_of(uint64_t h) const { return static_cast<size_t>(h * 0x9e3779b97f4a7c15ULL >> 20) & (slots_.size() - 1); }
  void grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, 0);
    for (uint64_t h : old) {
      if (h == 0) continue;
      size_t i = slot_of(h);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);  // bounded: the new table is at most a quarter full
      slots_[i] = h;
    }
  }

  std::vector<uint64_t> slots_;
  size_t size_ = 0;
  bool capped_ = false;
};

}  // namespace fsrace::sched
