#include "model/tree_block.hpp"

#include "model/leaf_used_bytes.hpp"

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

// leaf_used_bytes by the items' payload id, per thread, direct-mapped (a colliding id replaces the entry).
// An id names one content and is never reused (cow_vector.hpp: every change takes a new id before it is
// made), so an entry stays right for as long as anything holds that content: a COW that shares the
// items, a tree operation that leaves the leaf as it was (btrfs_cow_search), a block of the prepared
// state read by every execution. The sum is taken or noted only of a leaf no one is changing.
namespace {
struct used_bytes_entry {
  uint64_t id = 0;
  uint32_t bytes = 0;
};
constexpr size_t kUsedBytesMemo = 4096;  // a power of two
thread_local used_bytes_entry used_bytes_memo[kUsedBytesMemo];
}  // namespace

uint32_t tree_block::leaf_used_bytes() const {
  const uint64_t id = items.payload_id();
  if (id == 0) return 0;  // no payload: no items
  used_bytes_entry& e = used_bytes_memo[id & (kUsedBytesMemo - 1)];
  if (e.id == id) return e.bytes;
  uint32_t used = 0;
  for (const auto& it : items) used += BTRFS_ITEM_SIZE + item_size_inline(it.value);
  e = {id, used};
  return used;
}

void note_leaf_used_bytes(const tree_block& leaf, uint32_t bytes) {
  const uint64_t id = leaf.items.payload_id();
  if (id != 0) used_bytes_memo[id & (kUsedBytesMemo - 1)] = {id, bytes};
}

// content_csum of a leaf by its items' payload id and the header fields it hashes, per thread,
// direct-mapped: the same content (the id names the items, never reused; a leaf hashes no pointers)
// under the same header has the same sum. The commit's writeback computes it for every block it writes
// and the end-of-run check again for every block it verifies; the second is a lookup.
namespace {
struct csum_entry {
  uint64_t id = 0, bytenr = 0, generation = 0, owner = 0;
  uint8_t level = 0;
  uint32_t csum = 0;
};
constexpr size_t kCsumMemo = 4096;  // a power of two
thread_local csum_entry csum_memo[kCsumMemo];

uint32_t compute_csum(const tree_block& b) {
  hasher h;
  h.add(b.header.bytenr); h.add(b.header.generation); h.add(b.header.owner); h.add(b.header.level);
  for (const auto& it : b.items) {
    h.add(it.key.objectid); h.add(uint64_t(it.key.type) << 32 | it.value.index()); h.add(it.key.offset);
  }
  for (const auto& p : b.ptrs) {
    h.add(p.key.objectid); h.add(p.key.type); h.add(p.key.offset); h.add(p.blockptr); h.add(p.generation);
  }
  return h.value();
}
}  // namespace

uint32_t tree_block::content_csum() const {
  const uint64_t id = ptrs.empty() ? items.payload_id() : 0;
  csum_entry* e = nullptr;
  if (id != 0) {
    e = &csum_memo[((id * 0x9e3779b97f4a7c15ull) ^ header.bytenr) >> 12 & (kCsumMemo - 1)];
    if (e->id == id && e->bytenr == header.bytenr && e->generation == header.generation &&
        e->owner == header.owner && e->level == header.level)
      return e->csum;
  }
  const uint32_t csum = compute_csum(*this);
  if (e) *e = {id, header.bytenr, header.generation, header.owner, header.level, csum};
  return csum;
}

}  // namespace fsrace::model
