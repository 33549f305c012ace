// Devices, chunks and logical -> physical mapping (fs/btrfs/volumes.c).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/block_device.hpp"
#include "model/key.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

// A device object's place in fs_info->device_table: stable for the object's life and across clones
// (unlike a pointer), and distinct from its devid, which device replace finishing changes.
using dev_handle = uint32_t;
constexpr dev_handle kNoDevHandle = ~dev_handle(0);

struct btrfs_device {
  uint64_t devid = 0;  // mutable: replace finishing gives the target the source's devid (and the source 0)
  dev_handle handle = kNoDevHandle;  // set by btrfs_fs_info::add_device
  uint64_t total_bytes = 0;       // btrfs_device_get_total_bytes: what chunk allocation may use
  uint64_t disk_total_bytes = 0;  // btrfs_device_get_disk_total_bytes: what the device item records (a
                                  // shrink lowers total_bytes first, this once its relocations are done)
  uint64_t bytes_used = 0;  // allocated to dev extents
  bool missing = false;     // no block device behind it (degraded)
  bool is_tgtdev_for_dev_replace = false;
  // On fs_devices->alloc_list (BTRFS_DEV_STATE_WRITEABLE, counted in rw_devices): chunk allocation picks
  // only these. Device removal takes the device off first, under chunk_mutex.
  bool in_alloc_list = true;
  // post_commit_list (under chunk_mutex): the transid of the transaction whose dev_update_list holds the
  // device (a chunk allocation, chunk removal or resize changed its sizes in it), 0 when on no list. That
  // commit's btrfs_commit_device_sizes takes it off; replace finishing waits for it (debd1c065d20).
  uint64_t post_commit_list = 0;
  block_device bdev;
  // btrfs_free_device ran (a replace target destroyed by cancel or a failed replace): the model keeps the
  // object alive for whoever still holds it, and a use through such a pointer is the use-after-free
  // KASAN would report (a BUG finding where the model uses it).
  bool freed = false;
};

// A block device of the machine that is not in the filesystem (a scenario's filesystem.spare_devices):
// `btrfs device add` opens it (blkdev_get_by_path), `btrfs device remove` gives it back (blkdev_put).
struct spare_block_device {
  block_device bdev;
  uint64_t claimed_by = 0;  // the devid that holds it, 0 while free
};

constexpr uint64_t BTRFS_STRIPE_LEN = 64 * 1024;

// One stripe of a chunk (where on which device the chunk's bytes live), or, as btrfs_map_block fills it,
// one piece of an IO on one device: `length` bytes at `offset` into the IO's buffer (0, 0: all of it).
struct btrfs_bio_stripe {
  uint64_t devid = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  uint64_t offset = 0;
};

// A stripe of a chunk mapping in memory (struct btrfs_io_stripe of map_lookup): the device OBJECT, as
// the kernel's map->stripes[i].dev, so the devid a reader sees is the object's devid when it reads it
// (btrfs_fs_info::dev(handle).devid), which device replace finishing changes after switching the stripes.
struct btrfs_io_stripe {
  dev_handle dev = kNoDevHandle;
  uint64_t physical = 0;
};

// A chunk's layout: the extent map of a chunk and its map_lookup. RAID10 stripes the chunk over
// num_stripes / sub_stripes data stripes, BTRFS_STRIPE_LEN at a time, each mirrored on sub_stripes
// consecutive stripes; the other profiles keep the whole chunk on every stripe.
template <class Stripe>
struct basic_map_lookup {
  uint64_t start = 0, length = 0, type = 0;
  int sub_stripes = 1;
  std::vector<Stripe> stripes;
};
// fs_info->mapping_tree entries: stripes name device objects. Mutable in place (replace finishing's
// btrfs_dev_replace_update_device_in_mapping_tree), so whoever holds the map sees the switch, as in the
// kernel; per execution, deep-copied by the clone.
using map_lookup = basic_map_lookup<btrfs_io_stripe>;
using map_lookup_ptr = std::shared_ptr<map_lookup>;
// A chunk as the on-disk readers see it (chunk items, sys_chunk_array): stripes name devids.
using chunk_map = basic_map_lookup<btrfs_bio_stripe>;

struct btrfs_chunk;
// The mapping a chunk item describes (read_one_chunk), as the on-disk readers build it.
chunk_map map_lookup_from_chunk(uint64_t start, const btrfs_chunk& chunk);

// Bytes of the chunk on each of its stripes (the dev extent length): calc_stripe_length.
template <class S> uint64_t map_stripe_size(const basic_map_lookup<S>& map);
// Copies of every byte of the chunk (btrfs_num_copies).
template <class S> int map_num_copies(const basic_map_lookup<S>& map);
// Where mirror `mirror` (1-based) of chunk offset `off` lives: stripe `index` at `physical`, for `len`
// bytes (to the next stripe boundary or the chunk's end).
struct stripe_piece {
  size_t index = 0;
  uint64_t physical = 0, len = 0;
};
template <class S> stripe_piece map_stripe_piece(const basic_map_lookup<S>& map, uint64_t off, int mirror);
// The chunk offset stripe `index` holds at `physical`, or ~0 when that stripe does not hold it.
template <class S> uint64_t map_stripe_logical_offset(const basic_map_lookup<S>& map, size_t index, uint64_t physical);

// btrfs_rmap_block with bdev NULL (as exclude_super_stripes asks): the logical addresses of the chunk that
// map to `physical` on any device, each once, and the length of the IO stripe each starts
// (BTRFS_STRIPE_LEN: no RAID5/6 in the model).
template <class S>
std::vector<uint64_t> btrfs_rmap_block(const basic_map_lookup<S>& map, uint64_t physical, uint64_t* stripe_len);

// The on-disk view of an in-memory mapping: each stripe's devid as its device has it now.
chunk_map chunk_map_of(const btrfs_fs_info& fs_info, const map_lookup& map);
// read_one_chunk: the in-memory mapping of a chunk item, its stripes on the devices with those devids
// (which must exist).
map_lookup_ptr map_lookup_from_chunk(btrfs_fs_info& fs_info, uint64_t start, const btrfs_chunk& chunk);

// Profiles by name: "single", "dup", "raid1", "raid10". Returns 0 for unknown names.
uint64_t profile_from_name(const std::string& name, bool* ok);
const char* profile_name(uint64_t flags);
int profile_num_stripes(uint64_t flags);
std::string block_group_type_name(uint64_t flags);  // "DATA", "METADATA|DUP", ...

enum class map_op { read, write };
// btrfs_map_block: the stripes an IO of [logical, logical+len) goes to. Reads get one mirror
// (mirror_num 1-based; 0 = the first usable), writes get every mirror and, during device replace,
// the target device for the part below cursor_left. Returns -EINVAL when no chunk maps `logical`
// (the kernel's "unable to find logical"), -EIO when no usable mirror is left.
int btrfs_map_block(btrfs_fs_info& fs_info, map_op op, uint64_t logical, uint64_t len, int mirror_num,
                    std::vector<btrfs_bio_stripe>& out);
// btrfs_get_chunk_map: the chunk mapping containing `logical`, or null.
map_lookup_ptr btrfs_get_chunk_map(btrfs_fs_info& fs_info, uint64_t logical);
int btrfs_num_copies(btrfs_fs_info& fs_info, uint64_t logical);

// btrfs_create_chunk is declared in model/chunk_alloc.hpp (the first part of phase 1).
// btrfs_remove_chunk: deletes dev extents, then, under chunk_mutex after check_system_chunk reserved system
// space, the device items, the chunk item and a system chunk's sys_chunk_array entry, then the block group
// (btrfs_remove_block_group).
int btrfs_remove_chunk(btrfs_trans_handle& trans, uint64_t chunk_offset);
// btrfs_update_device: the device item takes the device's size and bytes_used as they are when the
// search holds its leaf (btrfs_device_get_bytes_used after btrfs_search_slot), not when the caller
// started: a chunk allocated meanwhile is counted.
int btrfs_update_device(btrfs_trans_handle& trans, uint64_t devid);
// btrfs_clear_space_info_full: device space came back (a chunk removed, a device added).
void btrfs_clear_space_info_full(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
