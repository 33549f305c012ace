#include "model/tree_block.hpp"

namespace fsrace::model {
namespace {
// FNV-1a over the fields; deterministic and cheap (the model's stand-in for crc32c of the block).
struct hasher {
  uint32_t h = 2166136261u;
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) { h ^= uint8_t(v >> (8 * i)); h *= 16777619u; }
  }
};
}  // namespace

uint32_t tree_block::leaf_used_bytes() const {
  uint32_t used = 0;
  for (const auto& it : items) used += BTRFS_ITEM_SIZE + item_size(it.value);
  return used;
}

uint32_t tree_block::content_csum() const {
  hasher h;
  h.add(header.bytenr); h.add(header.generation); h.add(header.owner); h.add(header.level);
  for (const auto& it : items) {
    h.add(it.key.objectid); h.add(it.key.type); h.add(it.key.offset); h.add(item_size(it.value));
    h.add(it.value.index());
  }
  for (const auto& p : ptrs) {
    h.add(p.key.objectid); h.add(p.key.type); h.add(p.key.offset); h.add(p.blockptr); h.add(p.generation);
  }
  return h.h;
}

}  // namespace fsrace::model
