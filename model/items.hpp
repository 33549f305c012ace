// Item payloads, with the fields of the on-disk structs that the model uses and their on-disk sizes
// (which decide how many items fit in a leaf, as in the kernel).
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/key.hpp"
#include "model/small_vector.hpp"

namespace fsrace::model {

enum : uint64_t {
  BTRFS_INODE_NODATASUM = 1ull << 0,
  BTRFS_INODE_NODATACOW = 1ull << 1,
  BTRFS_INODE_NOCOMPRESS = 1ull << 3,
  BTRFS_INODE_PREALLOC = 1ull << 4,
};
// Root item flags. SUBVOL_DEAD: btrfs_delete_subvolume marks the root being deleted (in memory, under
// root_item_lock; a snapshot copying the root item copies it too); send and swapon refuse such a root.
enum : uint64_t { BTRFS_ROOT_SUBVOL_RDONLY = 1ull << 0, BTRFS_ROOT_SUBVOL_DEAD = 1ull << 48 };
enum : uint64_t {
  BTRFS_EXTENT_FLAG_DATA = 1ull << 0,
  BTRFS_EXTENT_FLAG_TREE_BLOCK = 1ull << 1,
  // A tree block whose pointers are referenced by the block itself (SHARED_BLOCK_REF / SHARED_DATA_REF
  // with parent = its bytenr), not by its owner: set when its owner COWs it away while a snapshot still
  // uses it (update_ref_for_cow).
  BTRFS_BLOCK_FLAG_FULL_BACKREF = 1ull << 8,
};
enum : uint8_t { BTRFS_FILE_EXTENT_INLINE = 0, BTRFS_FILE_EXTENT_REG = 1, BTRFS_FILE_EXTENT_PREALLOC = 2 };

struct btrfs_inode_item {
  uint64_t generation = 0, transid = 0, size = 0, nbytes = 0;
  uint32_t nlink = 1, mode = 0100644;
  uint64_t flags = 0;
  static constexpr uint32_t disk_size = 160;
  bool operator==(const btrfs_inode_item&) const = default;
};
struct btrfs_inode_ref {
  uint64_t index = 0;
  std::string name;
  uint32_t size() const { return 10 + uint32_t(name.size()); }
  bool operator==(const btrfs_inode_ref&) const = default;
};
struct btrfs_dir_item {
  btrfs_key location;
  uint64_t transid = 0;
  uint8_t type = 1;  // BTRFS_FT_REG_FILE
  std::string name;
  uint32_t size() const { return 30 + uint32_t(name.size()); }
  bool operator==(const btrfs_dir_item&) const = default;
};
struct btrfs_file_extent_item {
  uint64_t generation = 0, ram_bytes = 0;
  uint8_t type = BTRFS_FILE_EXTENT_REG;
  uint64_t disk_bytenr = 0, disk_num_bytes = 0, offset = 0, num_bytes = 0;
  static constexpr uint32_t disk_size = 53;
  bool operator==(const btrfs_file_extent_item&) const = default;
};
struct btrfs_csum_item {           // EXTENT_CSUM items: one crc32c per sector from key.offset on
  std::vector<uint32_t> csums;
  uint32_t size() const { return 4 * uint32_t(csums.size()); }
  bool operator==(const btrfs_csum_item&) const = default;
};
struct btrfs_root_item {
  btrfs_inode_item inode;
  uint64_t generation = 0, root_dirid = 256, bytenr = 0, last_snapshot = 0, flags = 0;
  uint32_t refs = 1;
  uint8_t level = 0;
  static constexpr uint32_t disk_size = 439;
  bool operator==(const btrfs_root_item&) const = default;
};
struct btrfs_root_ref {            // ROOT_REF / ROOT_BACKREF
  uint64_t dirid = 256, sequence = 0;
  std::string name;
  uint32_t size() const { return 18 + uint32_t(name.size()); }
  bool operator==(const btrfs_root_ref&) const = default;
};
// Inline back references of an extent item (btrfs_extent_inline_ref + payload). TREE_BLOCK_REF: a
// block of `root` points at the extent; EXTENT_DATA_REF: `count` file extent items of (root, inode
// `objectid`, file offset - extent offset `offset`); SHARED_BLOCK_REF / SHARED_DATA_REF: the tree block
// `parent` points at it (`count` times for data), whichever roots reach that block.
struct btrfs_extent_inline_ref {
  uint8_t type = BTRFS_EXTENT_DATA_REF_KEY;
  uint64_t root = 0, objectid = 0, offset = 0;
  uint64_t parent = 0;
  uint32_t count = 1;  // data references only; a tree block reference is one reference
  uint32_t size() const {
    switch (type) {
      case BTRFS_EXTENT_DATA_REF_KEY: return 1 + 28;  // btrfs_extent_data_ref in place of the offset
      case BTRFS_SHARED_DATA_REF_KEY: return 1 + 8 + 4;  // parent, then btrfs_shared_data_ref
      default: return 1 + 8;                          // the offset holds the root or the parent
    }
  }
  bool shared() const { return type == BTRFS_SHARED_BLOCK_REF_KEY || type == BTRFS_SHARED_DATA_REF_KEY; }
  auto operator<=>(const btrfs_extent_inline_ref&) const = default;
};
struct btrfs_extent_item {
  uint64_t refs = 0, generation = 0, flags = 0;
  // Usually one or two (a tree block has one per root or parent, a data extent one per file extent
  // owner): kept in place up to one, beyond that on the heap (small_vector.hpp).
  small_vector<btrfs_extent_inline_ref, 1> inline_refs;
  uint32_t size() const {
    uint32_t s = 24;
    for (auto& r : inline_refs) s += r.size();
    return s;
  }
  bool operator==(const btrfs_extent_item&) const = default;
};
struct btrfs_block_group_item {
  uint64_t used = 0, chunk_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID, flags = 0;
  static constexpr uint32_t disk_size = 24;
  bool operator==(const btrfs_block_group_item&) const = default;
};
struct btrfs_dev_extent {
  uint64_t chunk_tree = BTRFS_CHUNK_TREE_OBJECTID, chunk_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID;
  uint64_t chunk_offset = 0, length = 0;
  static constexpr uint32_t disk_size = 48;
  bool operator==(const btrfs_dev_extent&) const = default;
};
struct btrfs_dev_item {
  uint64_t devid = 0, total_bytes = 0, bytes_used = 0;
  static constexpr uint32_t disk_size = 98;
  bool operator==(const btrfs_dev_item&) const = default;
};
struct btrfs_stripe {
  uint64_t devid = 0, offset = 0;
  bool operator==(const btrfs_stripe&) const = default;
};
struct btrfs_chunk {
  uint64_t length = 0, owner = BTRFS_EXTENT_TREE_OBJECTID, stripe_len = 64 * 1024, type = 0;
  uint16_t sub_stripes = 1;  // 2 for RAID10
  std::vector<btrfs_stripe> stripes;
  uint32_t size() const { return 48 + 32 * uint32_t(stripes.size()); }
  bool operator==(const btrfs_chunk&) const = default;
};

// An item of an imported filesystem that the model keeps but never reads or changes (the uuid tree's
// entries): its body as the image had it, written back as it was.
struct btrfs_opaque_item {
  std::vector<uint8_t> bytes;
  uint32_t size() const { return uint32_t(bytes.size()); }
  auto operator<=>(const btrfs_opaque_item&) const = default;
};

using item_value = std::variant<btrfs_inode_item, btrfs_inode_ref, btrfs_dir_item, btrfs_file_extent_item,
                                btrfs_csum_item, btrfs_root_item, btrfs_root_ref, btrfs_extent_item,
                                btrfs_block_group_item, btrfs_dev_extent, btrfs_dev_item, btrfs_chunk,
                                btrfs_opaque_item>;

uint32_t item_size(const item_value& v);

// item_size inline, by a switch on the alternative (no call through std::visit's table): summed over
// every item of a leaf whenever a tree operation checks whether the leaf overflows.
namespace detail {
template <size_t I>
inline uint32_t item_size_of(const item_value& v) {
  using T = std::variant_alternative_t<I, item_value>;
  if constexpr (requires { T::disk_size; }) return T::disk_size;
  else return std::get_if<I>(&v)->size();
}
}  // namespace detail
inline uint32_t item_size_inline(const item_value& v) {
  static_assert(std::variant_size_v<item_value> == 13, "a new item kind needs its case here");
  switch (v.index()) {
    case 0: return detail::item_size_of<0>(v);
    case 1: return detail::item_size_of<1>(v);
    case 2: return detail::item_size_of<2>(v);
    case 3: return detail::item_size_of<3>(v);
    case 4: return detail::item_size_of<4>(v);
    case 5: return detail::item_size_of<5>(v);
    case 6: return detail::item_size_of<6>(v);
    case 7: return detail::item_size_of<7>(v);
    case 8: return detail::item_size_of<8>(v);
    case 9: return detail::item_size_of<9>(v);
    case 10: return detail::item_size_of<10>(v);
    case 11: return detail::item_size_of<11>(v);
    case 12: return detail::item_size_of<12>(v);
    default: return item_size(v);  // valueless: what item_size does (std::visit throws)
  }
}
std::string describe(const item_value& v);

}  // namespace fsrace::model
