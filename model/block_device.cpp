#include "model/block_device.hpp"

#include <algorithm>
#include <cstring>

#include "model/data/csum.hpp"

namespace fsrace::model {

uint32_t sector_bytes::csum() const {
  uint64_t m = csum_.load(std::memory_order_relaxed);
  if (!(m >> 32)) {
    m = (uint64_t(1) << 32) | btrfs_csum_sector(*this);
    csum_.store(m, std::memory_order_relaxed);
  }
  return uint32_t(m);
}

void block_device::write(uint64_t physical, std::span<const uint8_t> bytes) {
  FSRACE_MODEL_CHECK(physical % SECTORSIZE == 0 && bytes.size() % SECTORSIZE == 0, "unaligned write at {} len {}",
                physical, bytes.size());
  FSRACE_MODEL_CHECK(physical + bytes.size() <= size_, "write past the end of {}: {} + {}", name_, physical, bytes.size());
  for (size_t off = 0; off < bytes.size(); off += SECTORSIZE) {
    auto data = std::make_shared<sector_bytes>(bytes.begin() + off, bytes.begin() + off + SECTORSIZE);
    sectors_.put((physical + off) / SECTORSIZE, sector{std::move(data), nullptr, 0});
  }
}

void block_device::read(uint64_t physical, std::span<uint8_t> out) const {
  FSRACE_MODEL_CHECK(physical % SECTORSIZE == 0 && out.size() % SECTORSIZE == 0, "unaligned read at {} len {}",
                physical, out.size());
  for (size_t off = 0; off < out.size(); off += SECTORSIZE) {
    const sector* s = sectors_.find((physical + off) / SECTORSIZE);
    if (s && s->data) {
      std::memcpy(out.data() + off, s->data->data(), SECTORSIZE);
    } else if (s && s->tree) {
      // Data read over a tree block image: deterministic non-zero garbage derived from its header, byte i
      // being (byte i % 4 of the seed) + i, mod 256. Built 16 bytes at a time (a loop the compiler
      // vectorizes: byte-wise, this was a third of releasepage-vs-eb-readahead's CPU time).
      const uint32_t seed = s->tree->header.csum ^ uint32_t(s->tree->header.bytenr) ^ s->tree_part;
      uint8_t pattern[16];
      for (size_t k = 0; k < 16; ++k) pattern[k] = uint8_t((seed >> (k % 4 * 8)) + k);
      static_assert(SECTORSIZE % 16 == 0);
      for (size_t base = 0; base < SECTORSIZE; base += 16)
        for (size_t k = 0; k < 16; ++k) out[off + base + k] = uint8_t(pattern[k] + base);
    } else {
      std::memset(out.data() + off, 0, SECTORSIZE);
    }
  }
}

void block_device::discard(uint64_t physical, uint64_t len) {
  FSRACE_MODEL_CHECK(physical % SECTORSIZE == 0 && len % SECTORSIZE == 0 && physical + len <= size_,
                     "bad discard at {} len {} on {}", physical, len, name_);
  for (uint64_t off = 0; off < len; off += SECTORSIZE) sectors_.erase((physical + off) / SECTORSIZE);
}

void block_device::write_tree_block(uint64_t physical, tree_block_ptr block, uint32_t nodesize) {
  FSRACE_MODEL_CHECK(physical % SECTORSIZE == 0 && physical + nodesize <= size_, "bad tree block write at {} on {}",
                physical, name_);
  for (uint32_t part = 0; part < nodesize / SECTORSIZE; ++part)
    sectors_.put(physical / SECTORSIZE + part, sector{nullptr, block, part});
}

tree_block_ptr block_device::read_tree_block(uint64_t physical) const {
  bool frozen;
  return read_tree_block(physical, &frozen);
}

tree_block_ptr block_device::read_tree_block(uint64_t physical, bool* frozen) const {
  const sector* s = sectors_.find(physical / SECTORSIZE, frozen);
  if (!s || !s->tree || s->tree_part != 0) return nullptr;
  return s->tree;
}

}  // namespace fsrace::model
