#include "model/items.hpp"

#include <fmt/format.h>

namespace fsrace::model {
namespace {
template <class> inline constexpr bool always_false = false;
}

uint32_t item_size(const item_value& v) {
  return std::visit(
      [](const auto& x) -> uint32_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (requires { T::disk_size; }) return T::disk_size;
        else return x.size();
      },
      v);
}

std::string describe(const item_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, btrfs_inode_item>) return fmt::format("inode size {} flags {:#x}", x.size, x.flags);
        else if constexpr (std::is_same_v<T, btrfs_inode_ref>) return fmt::format("inode ref index {} '{}'", x.index, x.name);
        else if constexpr (std::is_same_v<T, btrfs_dir_item>) return fmt::format("dir item '{}' -> {}", x.name, x.location.objectid);
        else if constexpr (std::is_same_v<T, btrfs_file_extent_item>)
          return fmt::format("file extent type {} disk {} {} offset {} len {}", x.type, x.disk_bytenr, x.disk_num_bytes,
                             x.offset, x.num_bytes);
        else if constexpr (std::is_same_v<T, btrfs_csum_item>) return fmt::format("csums {}", x.csums.size());
        else if constexpr (std::is_same_v<T, btrfs_root_item>)
          return fmt::format("root bytenr {} level {} gen {} flags {:#x}", x.bytenr, x.level, x.generation, x.flags);
        else if constexpr (std::is_same_v<T, btrfs_root_ref>) return fmt::format("root ref '{}'", x.name);
        else if constexpr (std::is_same_v<T, btrfs_extent_item>) return fmt::format("extent refs {} gen {} flags {:#x}", x.refs, x.generation, x.flags);
        else if constexpr (std::is_same_v<T, btrfs_block_group_item>) return fmt::format("block group used {} flags {:#x}", x.used, x.flags);
        else if constexpr (std::is_same_v<T, btrfs_dev_extent>) return fmt::format("dev extent chunk {} len {}", x.chunk_offset, x.length);
        else if constexpr (std::is_same_v<T, btrfs_dev_item>) return fmt::format("dev item {} total {} used {}", x.devid, x.total_bytes, x.bytes_used);
        else if constexpr (std::is_same_v<T, btrfs_chunk>) return fmt::format("chunk len {} type {:#x} stripes {}", x.length, x.type, x.stripes.size());
        else if constexpr (std::is_same_v<T, btrfs_opaque_item>) return fmt::format("opaque, {} bytes", x.bytes.size());
        else static_assert(always_false<T>);
      },
      v);
}

}  // namespace fsrace::model
