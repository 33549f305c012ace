#include "model/volumes.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

#include <fmt/format.h>

#include "model/chunk_alloc.hpp"
#include "model/dev_update_list.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/items.hpp"
#include "model/maint/dev_replace_map.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {

uint64_t profile_from_name(const std::string& name, bool* ok) {
  *ok = true;
  if (name == "single") return 0;
  if (name == "dup") return BTRFS_BLOCK_GROUP_DUP;
  if (name == "raid1") return BTRFS_BLOCK_GROUP_RAID1;
  if (name == "raid10") return BTRFS_BLOCK_GROUP_RAID10;
  *ok = false;
  return 0;
}

const char* profile_name(uint64_t flags) {
  if (flags & BTRFS_BLOCK_GROUP_DUP) return "dup";
  if (flags & BTRFS_BLOCK_GROUP_RAID1) return "raid1";
  if (flags & BTRFS_BLOCK_GROUP_RAID10) return "raid10";
  return "single";
}

int profile_num_stripes(uint64_t flags) {
  return (flags & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1)) ? 2 : 1;
}

std::string block_group_type_name(uint64_t flags) {
  std::string t = (flags & BTRFS_BLOCK_GROUP_DATA) ? "DATA" : (flags & BTRFS_BLOCK_GROUP_SYSTEM) ? "SYSTEM" : "METADATA";
  if (flags & BTRFS_BLOCK_GROUP_PROFILE_MASK) {
    std::string p = profile_name(flags);
    for (auto& c : p) c = char(std::toupper(static_cast<unsigned char>(c)));
    t += "|" + p;
  }
  return t;
}

chunk_map map_lookup_from_chunk(uint64_t start, const btrfs_chunk& chunk) {
  chunk_map m;
  m.start = start;
  m.length = chunk.length;
  m.type = chunk.type;
  m.sub_stripes = chunk.sub_stripes;
  for (const auto& s : chunk.stripes) m.stripes.push_back({s.devid, s.offset, 0, 0});
  return m;
}

template <class S>
uint64_t map_stripe_size(const basic_map_lookup<S>& map) {
  if (!(map.type & BTRFS_BLOCK_GROUP_RAID10)) return map.length;
  return map.length / (map.stripes.size() / size_t(map.sub_stripes));
}

template <class S>
int map_num_copies(const basic_map_lookup<S>& map) {
  return (map.type & BTRFS_BLOCK_GROUP_RAID10) ? map.sub_stripes : int(map.stripes.size());
}

template <class S>
stripe_piece map_stripe_piece(const basic_map_lookup<S>& map, uint64_t off, int mirror) {
  FSRACE_ASSERT(off < map.length && mirror >= 1 && mirror <= map_num_copies(map), "chunk {} offset {} mirror {}",
                map.start, off, mirror);
  if (!(map.type & BTRFS_BLOCK_GROUP_RAID10)) {
    const size_t index = size_t(mirror - 1);
    return {index, map.stripes[index].physical + off, map.length - off};
  }
  // __btrfs_map_block for RAID10: stripe_nr counts BTRFS_STRIPE_LEN units, spread over the data stripes.
  const uint64_t factor = map.stripes.size() / size_t(map.sub_stripes);
  const uint64_t stripe_nr = off / BTRFS_STRIPE_LEN, stripe_offset = off % BTRFS_STRIPE_LEN;
  const size_t index = size_t(stripe_nr % factor) * size_t(map.sub_stripes) + size_t(mirror - 1);
  return {index, map.stripes[index].physical + (stripe_nr / factor) * BTRFS_STRIPE_LEN + stripe_offset,
          BTRFS_STRIPE_LEN - stripe_offset};
}

template <class S>
uint64_t map_stripe_logical_offset(const basic_map_lookup<S>& map, size_t index, uint64_t physical) {
  if (index >= map.stripes.size() || physical < map.stripes[index].physical) return ~0ull;
  const uint64_t dev_off = physical - map.stripes[index].physical;
  if (dev_off >= map_stripe_size(map)) return ~0ull;
  if (!(map.type & BTRFS_BLOCK_GROUP_RAID10)) return dev_off;
  const uint64_t factor = map.stripes.size() / size_t(map.sub_stripes);
  const uint64_t row = dev_off / BTRFS_STRIPE_LEN;
  return (row * factor + index / size_t(map.sub_stripes)) * BTRFS_STRIPE_LEN + dev_off % BTRFS_STRIPE_LEN;
}

template <class S>
std::vector<uint64_t> btrfs_rmap_block(const basic_map_lookup<S>& map, uint64_t physical, uint64_t* stripe_len) {
  std::vector<uint64_t> logical;
  for (size_t i = 0; i < map.stripes.size(); ++i) {
    const uint64_t off = map_stripe_logical_offset(map, i, physical);  // the kernel's stripe_nr arithmetic
    if (off == ~0ull) continue;
    const uint64_t bytenr = map.start + off;
    if (std::find(logical.begin(), logical.end(), bytenr) == logical.end()) logical.push_back(bytenr);
  }
  *stripe_len = BTRFS_STRIPE_LEN;
  return logical;
}

// Both kinds of mapping share the geometry.
#define FSRACE_MAP_GEOMETRY(S)                                                                       \
  template uint64_t map_stripe_size(const basic_map_lookup<S>&);                                   \
  template int map_num_copies(const basic_map_lookup<S>&);                                         \
  template stripe_piece map_stripe_piece(const basic_map_lookup<S>&, uint64_t, int);              \
  template uint64_t map_stripe_logical_offset(const basic_map_lookup<S>&, size_t, uint64_t);      \
  template std::vector<uint64_t> btrfs_rmap_block(const basic_map_lookup<S>&, uint64_t, uint64_t*);
FSRACE_MAP_GEOMETRY(btrfs_io_stripe)
FSRACE_MAP_GEOMETRY(btrfs_bio_stripe)
#undef FSRACE_MAP_GEOMETRY

chunk_map chunk_map_of(const btrfs_fs_info& fs_info, const map_lookup& map) {
  chunk_map c;
  c.start = map.start, c.length = map.length, c.type = map.type, c.sub_stripes = map.sub_stripes;
  for (const auto& s : map.stripes) c.stripes.push_back({fs_info.dev(s.dev).devid, s.physical, 0, 0});
  return c;
}

map_lookup_ptr map_lookup_from_chunk(btrfs_fs_info& fs_info, uint64_t start, const btrfs_chunk& chunk) {
  const chunk_map c = map_lookup_from_chunk(start, chunk);
  auto m = std::make_shared<map_lookup>();
  m->start = c.start, m->length = c.length, m->type = c.type, m->sub_stripes = c.sub_stripes;
  for (const auto& s : c.stripes) {
    btrfs_device* d = fs_info.device(s.devid);
    FSRACE_MODEL_CHECK(d != nullptr, "chunk {}: no device with devid {}", start, s.devid);
    m->stripes.push_back({d->handle, s.physical});
  }
  return m;
}

map_lookup_ptr btrfs_get_chunk_map(btrfs_fs_info& fs_info, uint64_t logical) {
  auto it = fs_info.mapping_tree.upper_bound(logical);
  if (it == fs_info.mapping_tree.begin()) return nullptr;
  --it;
  const map_lookup_ptr& m = it->second;
  if (logical >= m->start + m->length) return nullptr;
  return m;
}

int btrfs_num_copies(btrfs_fs_info& fs_info, uint64_t logical) {
  auto m = btrfs_get_chunk_map(fs_info, logical);
  return m ? map_num_copies(*m) : 1;
}

// __btrfs_map_block's down_read(&dev_replace->rwsem) for this scope. The mapping is one step of the model,
// so only a contended down_read is modelled, with its points and its wait (a writer holds it across
// scheduling points, or waits for it); an uncontended one, which the kernel takes and drops without
// sleeping, adds no scheduling point (README departures).
class dev_replace_read_lock {
 public:
  explicit dev_replace_read_lock(btrfs_fs_info& fs_info) : rwsem_(fs_info.dev_replace.rwsem) {
    held_ = rwsem_.write_locked() || !rwsem_.waiters().empty();
    if (held_) rwsem_.down_read();
  }
  ~dev_replace_read_lock() {
    if (held_) rwsem_.up_read();
  }
  dev_replace_read_lock(const dev_replace_read_lock&) = delete;
  dev_replace_read_lock& operator=(const dev_replace_read_lock&) = delete;

 private:
  sched::RwSemaphore& rwsem_;
  bool held_ = false;
};

// The stripe's device as the kernel reads map->stripes[i].dev: the object, whatever its devid now;
// usable while it is on the filesystem's device list and present.
static bool stripe_usable(btrfs_fs_info& fs_info, const btrfs_io_stripe& s) {
  const btrfs_device& d = fs_info.dev(s.dev);
  return fs_info.device(d.devid) == &d && !d.missing;
}

int btrfs_map_block(btrfs_fs_info& fs_info, map_op op, uint64_t logical, uint64_t len, int mirror_num,
                    std::vector<btrfs_bio_stripe>& out) {
  out.clear();
  auto m = btrfs_get_chunk_map(fs_info, logical);
  if (!m) {
    fs_info.log(fmt::format("BTRFS critical: unable to find logical {} length {}", logical, len));
    return -EINVAL;
  }
  if (logical + len > m->start + m->length) {
    fs_info.log(fmt::format("BTRFS critical: IO at {} length {} crosses chunk end {}", logical, len,
                            m->start + m->length));
    return -EINVAL;
  }
  // down_read(&dev_replace->rwsem) before the stripes are read (held to the end while a replace runs):
  // replace finishing holds it for write from the state change through the stripe switch and the devid
  // swap, so no bio is mapped to the target while it still has devid BTRFS_DEV_REPLACE_DEVID.
  const dev_replace_read_lock replace_lock(fs_info);
  // The IO in pieces that each stay on one stripe (the kernel splits bios at stripe boundaries before
  // mapping them; the model maps one bio into pieces, transferred in one completion step).
  const uint64_t off = logical - m->start;
  const int copies = map_num_copies(*m);
  if (op == map_op::read && mirror_num > copies) return -EINVAL;
  for (uint64_t done = 0; done < len;) {  // bounded: each piece is at least a sector
    const uint64_t piece_len = std::min(len - done, map_stripe_piece(*m, off + done, 1).len);
    if (op == map_op::write) {
      const size_t before = out.size();
      for (int mirror = 1; mirror <= copies; ++mirror) {
        const stripe_piece p = map_stripe_piece(*m, off + done, mirror);
        if (stripe_usable(fs_info, m->stripes[p.index])) out.push_back({fs_info.dev(m->stripes[p.index].dev).devid, p.physical, piece_len, done});
      }
      if (out.size() == before) return -EIO;
    } else {
      bool found = false;
      for (int mirror = mirror_num > 0 ? mirror_num : 1; mirror <= copies && !found; ++mirror) {
        const stripe_piece p = map_stripe_piece(*m, off + done, mirror);
        if (stripe_usable(fs_info, m->stripes[p.index])) {
          out.push_back({fs_info.dev(m->stripes[p.index].dev).devid, p.physical, piece_len, done});
          found = true;
        }
        if (mirror_num > 0) break;  // that mirror or nothing
      }
      if (!found) return -EIO;
    }
    done += piece_len;
  }
  if (op == map_op::write) btrfs_dev_replace_dup_stripes(fs_info, op, logical, out);
  return 0;
}

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t kDevReserved = MiB;  // the first MiB of every device holds no dev extent (super block)

// Target chunk size as btrfs_create_chunk (__btrfs_alloc_chunk before 5.14) sizes it: per type caps, at most 10% of the writable space.
uint64_t chunk_size_for(btrfs_fs_info& fs_info, uint64_t type) {
  uint64_t total = 0;
  for (auto& [id, d] : fs_info.devices)
    if (!d->missing && !d->is_tgtdev_for_dev_replace) total += d->total_bytes;
  uint64_t cap = (type & BTRFS_BLOCK_GROUP_DATA) ? 1024 * MiB : (type & BTRFS_BLOCK_GROUP_SYSTEM) ? 8 * MiB : 256 * MiB;
  uint64_t tenth = std::max<uint64_t>(total / 10 / (16 * MiB) * (16 * MiB), (type & BTRFS_BLOCK_GROUP_SYSTEM) ? 8 * MiB : 16 * MiB);
  return std::min(cap, tenth);
}

// find_free_dev_extent: the first hole of `size` on the device, looking at every chunk stripe in the
// mapping tree (which includes chunks whose dev extent items are still pending in this transaction).
bool find_free_dev_extent(btrfs_fs_info& fs_info, btrfs_device& dev, uint64_t size, uint64_t* start,
                          const std::vector<std::pair<uint64_t, uint64_t>>& also_taken) {
  std::vector<std::pair<uint64_t, uint64_t>> used = also_taken;
  for (auto& [logical, map] : fs_info.mapping_tree)
    for (const auto& s : map->stripes)
      if (s.dev == dev.handle) used.push_back({s.physical, map_stripe_size(*map)});
  std::sort(used.begin(), used.end());
  uint64_t cursor = kDevReserved;
  for (auto& [s, l] : used) {
    if (s >= cursor + size) break;
    cursor = std::max(cursor, s + l);
  }
  if (cursor + size > dev.total_bytes) return false;
  *start = cursor;
  return true;
}

constexpr uint64_t kStripeLen = 64 * 1024;  // BTRFS_STRIPE_LEN

// The largest hole on the device outside every chunk stripe in the mapping tree and the reserved MiB.
uint64_t largest_free_dev_extent(btrfs_fs_info& fs_info, btrfs_device& dev) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (auto& [logical, map] : fs_info.mapping_tree)
    for (const auto& s : map->stripes)
      if (s.dev == dev.handle) used.push_back({s.physical, map_stripe_size(*map)});
  std::sort(used.begin(), used.end());
  uint64_t cursor = kDevReserved, best = 0;
  for (auto& [s, l] : used) {
    if (s > cursor) best = std::max(best, s - cursor);
    cursor = std::max(cursor, s + l);
  }
  if (dev.total_bytes > cursor) best = std::max(best, dev.total_bytes - cursor);
  return best;
}

uint64_t find_next_chunk(btrfs_fs_info& fs_info) {
  if (fs_info.mapping_tree.empty()) return MiB;
  const auto& last = std::prev(fs_info.mapping_tree.end())->second;
  return last->start + last->length;
}

}  // namespace

int64_t btrfs_create_chunk(btrfs_trans_handle& trans, uint64_t type) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  sched::point(sched::L("btrfs_create_chunk(type {:#x})", type));
  uint64_t size = chunk_size_for(fs_info, type);  // the stripe size (dev extent length)
  const bool dup = type & BTRFS_BLOCK_GROUP_DUP;
  const bool raid10 = type & BTRFS_BLOCK_GROUP_RAID10;
  // Devices with the most free space first, devid breaking ties (deterministic).
  std::vector<btrfs_device*> devs;
  for (auto& [id, d] : fs_info.devices)
    if (d->in_alloc_list && !d->missing && !d->is_tgtdev_for_dev_replace) devs.push_back(d.get());
  std::stable_sort(devs.begin(), devs.end(), [](auto* a, auto* b) {
    return a->total_bytes - a->bytes_used > b->total_bytes - b->bytes_used;
  });
  // RAID10 (btrfs_raid_array: devs_max 0, devs_min 2, devs_increment 2, sub_stripes 2): a stripe on as
  // many devices as have room, rounded down to an even count; the others a fixed count.
  const int nstripes = raid10 ? int(devs.size() / 2 * 2) : profile_num_stripes(type);
  if (raid10 && nstripes < 2) return -ENOSPC;
  if (raid10) {  // decide_stripe_size: the chunk (stripe size x data stripes) within the type's chunk size
    const uint64_t data_stripes = uint64_t(nstripes) / 2;
    size = std::max<uint64_t>(8 * MiB, size / data_stripes / MiB * MiB);
  }
  auto pick = [&](uint64_t sz) {
    std::vector<btrfs_io_stripe> picked;
    for (auto* d : devs) {
      std::vector<std::pair<uint64_t, uint64_t>> taken;
      for (int copy = 0; copy < (dup ? 2 : 1); ++copy) {
        uint64_t start;
        if (!find_free_dev_extent(fs_info, *d, sz, &start, taken)) break;
        taken.push_back({start, sz});
        if (dup || copy == 0) picked.push_back({d->handle, start});
      }
      if (dup && picked.size() != 2) picked.clear();
      if (int(picked.size()) == nstripes) return picked;
    }
    return std::vector<btrfs_io_stripe>{};
  };
  std::vector<btrfs_io_stripe> stripes;
  for (;;) {  // bounded: size halves down to 8 MiB
    stripes = pick(size);
    if (!stripes.empty()) break;
    if (size / 2 < 8 * MiB) break;
    size /= 2;
  }
  if (stripes.empty()) {
    // Short of space the kernel takes what the devices have (decide_stripe_size: the smallest usable
    // hole, per dev_stripes, aligned down to BTRFS_STRIPE_LEN, at least dev_extent_min). Tried from the
    // largest hole down, one stripe length at a time would be slow: try each device's largest hole.
    uint64_t best = 0;
    for (auto* d : devs) {
      const uint64_t hole = largest_free_dev_extent(fs_info, *d);
      best = std::max(best, (dup ? hole / 2 : hole) / kStripeLen * kStripeLen);
    }
    for (uint64_t sz = best; sz >= kStripeLen && stripes.empty(); sz = sz > kStripeLen ? (sz / 2) / kStripeLen * kStripeLen : 0) {
      stripes = pick(sz);
      if (!stripes.empty()) size = sz;
    }
    if (stripes.empty()) return -ENOSPC;
  }
  const uint64_t logical = find_next_chunk(fs_info);

  for (auto& st : stripes) {  // btrfs_device_set_bytes_used, and onto the transaction's dev_update_list
    fs_info.dev(st.dev).bytes_used += size;
    btrfs_add_dev_update(trans, fs_info.dev(st.dev));
  }
  auto map = std::make_shared<map_lookup>();
  map->start = logical;
  map->length = raid10 ? size * (stripes.size() / 2) : size;
  map->type = type;
  map->sub_stripes = raid10 ? 2 : 1;
  map->stripes = stripes;
  fs_info.mapping_tree[logical] = map;
  block_group_ptr bg = btrfs_make_block_group(trans, 0, type, logical, map->length);
  // Its chunk item goes in with btrfs_chunk_alloc_add_chunk_item (phase 1, or phase 2 before 79bd37120b14),
  // block group item and dev extents with btrfs_create_pending_block_groups (phase 2); until then the group
  // is on new_bgs (BLOCK_GROUP_FLAG_NEW), never on unused_bgs.
  bg->on_new_bgs = true;
  trans.new_bgs.push_back(bg);
  return int64_t(logical);
}

int btrfs_update_device(btrfs_trans_handle& trans, uint64_t devid) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  return btrfs_update_item_at_leaf(trans, fs_info.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, devid},
                                   [&]() -> item_value {
                                     // Complete: the device list (fs_info.devices: ChunkMap) and the
                                     // device's sizes (Device), read.
                                     sched::FootprintScope scope(sched::declared()
                                                                     .reads_from(fp::chunk_map())
                                                                     .touch_kind(sched::ObjectKind::Device, false));
                                     const btrfs_device* d = fs_info.device(devid);
                                     FSRACE_MODEL_CHECK(d, "btrfs_update_device: devid {} is gone", devid);
                                     return btrfs_dev_item{devid, d->disk_total_bytes, d->bytes_used};
                                   });
}

}  // namespace fsrace::model
