#include "model/tree_block.hpp"

namespace fsrace::model {
namespace {
// A word-at-a-time multiplicative mix over the fields: deterministic and cheap (the model's stand-in
// for the crc32c of the block; it is computed for every block written at commit).
struct hasher {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  void add(uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
  }
  uint32_t value() const { return uint32_t(h ^ (h >> 32)); }
};
}  // namespace

uint32_t tree_block::leaf_used_bytes() const {
  uint32_t used = 0;
  for (const auto& it : items) used += BTRFS_ITEM_SIZE + item_size_inline(it.value);
  return used;
}

uint32_t tree_block::content_csum() const {
  hasher h;
  h.add(header.bytenr); h.add(header.generation); h.add(header.owner); h.add(header.level);
  for (const auto& it : items) {
    h.add(it.key.objectid); h.add(uint64_t(it.key.type) << 32 | it.value.index()); h.add(it.key.offset);
  }
  for (const auto& p : ptrs) {
    h.add(p.key.objectid); h.add(p.key.type); h.add(p.key.offset); h.add(p.blockptr); h.add(p.generation);
  }
  return h.value();
}

}  // namespace fsrace::model
