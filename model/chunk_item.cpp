#include "model/chunk_item.hpp"

#include <cerrno>

#include "model/fs_info.hpp"
#include "model/items.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

uint32_t btrfs_chunk_item_size(int num_stripes) {
  btrfs_chunk c;
  c.stripes.resize(size_t(num_stripes));
  return c.size();
}

int btrfs_add_system_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset, int num_stripes) {
  const uint32_t entry = BTRFS_DISK_KEY_SIZE + btrfs_chunk_item_size(num_stripes);
  if (fs_info.sys_array_size + entry > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE) return -EFBIG;
  FSRACE_MODEL_CHECK(!fs_info.sys_chunk_array.contains(chunk_offset), "btrfs_add_system_chunk: chunk {} is in the array",
                     chunk_offset);
  fs_info.sys_chunk_array[chunk_offset] = entry;
  fs_info.sys_array_size += entry;
  return 0;
}

int btrfs_del_sys_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset) {
  auto it = fs_info.sys_chunk_array.find(chunk_offset);
  if (it == fs_info.sys_chunk_array.end()) return -ENOENT;
  fs_info.sys_array_size -= it->second;
  fs_info.sys_chunk_array.erase(it);
  return 0;
}

int btrfs_chunk_alloc_add_chunk_item(btrfs_trans_handle& trans, uint64_t chunk_offset) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, chunk_offset);
  if (!map || map->start != chunk_offset) btrfs_abort_transaction(trans, -EINVAL);  // btrfs_get_chunk_map failed
  for (const auto& s : map->stripes)  // map->stripes[i].dev, by its devid now
    if (int ret = btrfs_update_device(trans, fs_info.dev(s.dev).devid)) return ret;
  btrfs_chunk chunk;
  chunk.length = map->length;
  chunk.type = map->type;
  chunk.sub_stripes = uint16_t(map->sub_stripes);
  for (const auto& s : map->stripes) chunk.stripes.push_back({fs_info.dev(s.dev).devid, s.physical});
  if (int ret = btrfs_insert_item(trans, fs_info.chunk_root(), {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, chunk_offset},
                                  chunk))
    return ret;
  if (block_group_ptr bg = btrfs_lookup_block_group(fs_info, chunk_offset); bg && bg->start == chunk_offset)
    bg->chunk_item_inserted = true;
  if (!(map->type & BTRFS_BLOCK_GROUP_SYSTEM)) return 0;
  // Before 79bd37120b14 this ran in phase 2 without chunk_mutex, and btrfs_add_system_chunk took it itself.
  const bool own_lock = !fs_info.fixes.has("79bd37120b14");
  if (own_lock) fs_info.chunk_mutex.lock();
  const int ret = btrfs_add_system_chunk(fs_info, chunk_offset, int(map->stripes.size()));
  if (own_lock) fs_info.chunk_mutex.unlock();
  return ret;
}

}  // namespace fsrace::model
