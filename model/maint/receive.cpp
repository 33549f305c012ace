#include "model/maint/receive.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "model/maint/send_read.hpp"
#include "model/fs_info.hpp"
#include "model/block_device.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t S_IFMT = 0170000, S_IFDIR = 0040000;

struct content_inode {
  btrfs_inode_item ii;
  bool has_item = false;
  std::vector<std::pair<uint64_t, std::string>> refs;  // (dir, name)
  std::vector<std::pair<uint64_t, btrfs_file_extent_item>> extents;
};

bool resolve_path(const std::map<uint64_t, content_inode>& inodes, uint64_t dir, const std::string& name,
                  std::string* out) {
  std::string path = name;
  for (int depth = 0; dir != BTRFS_FIRST_FREE_OBJECTID; ++depth) {
    auto it = inodes.find(dir);
    if (depth > 64 || it == inodes.end() || it->second.refs.empty()) return false;
    path = it->second.refs.front().second + "/" + path;
    dir = it->second.refs.front().first;
  }
  *out = path;
  return true;
}

}  // namespace

namespace {

// The content of a subvolume as btrfs_subvol_content computes it, in two parts. Its layout (paths,
// inodes, modes, sizes, which byte ranges of which files come from which logical ranges, the path
// problems) is a function of the items of the tree's leaves alone, so it is kept per thread keyed on
// the root id and the identity of each leaf's items (cow_vector::payload_id: a new id whenever items
// are created or changed, never reused). The file data is a function of what each read finds: what
// btrfs_map_block returns for it, whether each stripe's device can be read, and the sectors the
// device holds there. A sector's data and tree block are immutable while shared and the kept record
// holds them, so a read whose record equals the kept one returns the same bytes, and a file whose
// every read does keeps the data of the earlier check. Every btrfs_map_block call and every tree
// block read happens as without the cache (same calls, same order), so the log and the buffer cache
// see exactly what they saw before; only the copying of unchanged bytes and the rebuilding of an
// unchanged layout are skipped.
// A sector as a read finds it: its data and tree block (by identity) and part; all null when absent.
struct sector_ident {
  const std::vector<uint8_t>* data = nullptr;
  const tree_block* tree = nullptr;
  uint32_t tree_part = 0;
  bool present = false;
  bool operator==(const sector_ident&) const = default;
};
bool same_stripe(const btrfs_bio_stripe& a, const btrfs_bio_stripe& b) {
  return a.devid == b.devid && a.physical == b.physical && a.length == b.length && a.offset == b.offset;
}

// What every data read of one subvolume found, flat, reads in order: read r's stripes are
// stripes[stripe_end[r-1], stripe_end[r]) and its sectors likewise.
struct read_facts {
  std::vector<int> map_ret;  // btrfs_map_block's return
  std::vector<int> ret;      // the read's: btrfs_map_block's error, else the device read's (-EIO or 0)
  std::vector<uint32_t> stripe_end, sector_end;
  std::vector<btrfs_bio_stripe> stripes;
  std::vector<sector_ident> sectors;  // every sector of the stripes read (up to a device that fails)
  std::vector<const sector*> found;   // the same sectors as the device holds them (null: absent)
  void clear() {
    map_ret.clear();
    ret.clear();
    stripe_end.clear();
    sector_end.clear();
    stripes.clear();
    sectors.clear();
    found.clear();
  }
  // Whether read r found the same as read r of `o`.
  bool same_read(size_t r, const read_facts& o) const {
    if (map_ret[r] != o.map_ret[r] || ret[r] != o.ret[r]) return false;
    const uint32_t sb = r ? stripe_end[r - 1] : 0, se = stripe_end[r];
    const uint32_t ob = r ? o.stripe_end[r - 1] : 0, oe = o.stripe_end[r];
    if (se - sb != oe - ob) return false;
    for (uint32_t k = 0; k < se - sb; ++k)
      if (!same_stripe(stripes[sb + k], o.stripes[ob + k])) return false;
    const uint32_t cb = r ? sector_end[r - 1] : 0, ce = sector_end[r];
    const uint32_t pb = r ? o.sector_end[r - 1] : 0, pe = o.sector_end[r];
    return ce - cb == pe - pb && std::equal(sectors.begin() + cb, sectors.begin() + ce, o.sectors.begin() + pb);
  }
};

// send_map_logical, then what send_read_mapped would find on the devices (no bytes copied).
void map_and_identify(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, read_facts& f) {
  const size_t first = f.stripes.size();
  thread_local std::vector<btrfs_bio_stripe> mapped;
  const int map_ret = send_map_logical(fs_info, logical, len, mapped);
  int ret = map_ret;
  f.stripes.insert(f.stripes.end(), mapped.begin(), mapped.end());
  if (!ret) {
    for (size_t k = first; k < f.stripes.size(); ++k) {
      const btrfs_bio_stripe& s = f.stripes[k];
      const btrfs_device* d = fs_info.device(s.devid);
      if (!d || d->missing) {  // btrfs_dev_read's test: the read stops here
        ret = -EIO;
        break;
      }
      for (uint64_t off = 0; off < s.length; off += SECTORSIZE) {
        const sector* sec = d->bdev.find_sector(s.physical + off);
        f.found.push_back(sec);
        f.sectors.push_back(sec ? sector_ident{sec->data.get(), sec->tree.get(), sec->tree_part, true} : sector_ident{});
      }
    }
  }
  f.map_ret.push_back(map_ret);
  f.ret.push_back(ret);
  f.stripe_end.push_back(uint32_t(f.stripes.size()));
  f.sector_end.push_back(uint32_t(f.sectors.size()));
}

struct layout_read {
  uint64_t off = 0, logical = 0, len = 0;
};
struct layout_inode {
  uint64_t ino = 0, id = 0, size = 0;
  bool file = false;                       // has data to read (not a directory, not the top directory)
  std::vector<std::string> path_problems;  // in the order btrfs_subvol_content reports them
  std::vector<layout_read> reads;
};
struct subvol_layout {
  received_subvol skeleton;  // paths and inodes; files without data
  std::vector<layout_inode> inodes;
};

subvol_layout build_layout(uint64_t root_objectid, const std::vector<std::pair<tree_block_ptr, int>>& leaves) {
  std::map<uint64_t, content_inode> inodes;
  for (const auto& [b, slot] : leaves)
    for (size_t i = size_t(slot); i < b->items.size(); ++i) {
      const btrfs_item& it = b->items[i];
      content_inode& ci = inodes[it.key.objectid];
      if (it.key.type == BTRFS_INODE_ITEM_KEY) {
        ci.ii = std::get<btrfs_inode_item>(it.value);
        ci.has_item = true;
      } else if (it.key.type == BTRFS_INODE_REF_KEY) {
        ci.refs.emplace_back(it.key.offset, std::get<btrfs_inode_ref>(it.value).name);
      } else if (it.key.type == BTRFS_EXTENT_DATA_KEY) {
        ci.extents.emplace_back(it.key.offset, std::get<btrfs_file_extent_item>(it.value));
      }
    }
  subvol_layout l;
  received_subvol& sv = l.skeleton;
  for (auto& [ino, ci] : inodes) {
    if (!ci.has_item) continue;
    const uint64_t id = sv.next_id++;
    received_inode& ri = sv.inodes[id];
    ri.dir = (ci.ii.mode & S_IFMT) == S_IFDIR;
    ri.mode = ci.ii.mode & 07777;
    layout_inode& li = l.inodes.emplace_back();
    li.ino = ino;
    li.id = id;
    if (ino == BTRFS_FIRST_FREE_OBJECTID) {
      sv.paths[""] = id;
      continue;
    }
    for (const auto& [dir, name] : ci.refs) {
      std::string path;
      if (resolve_path(inodes, dir, name, &path)) sv.paths[path] = id;
      else li.path_problems.push_back(fmt::format("inode {} of subvolume {}: no path to '{}'", ino, root_objectid, name));
    }
    if (ri.dir) continue;
    li.file = true;
    li.size = ci.ii.size;
    for (const auto& [off, fe] : ci.extents) {
      if (fe.type != BTRFS_FILE_EXTENT_REG || fe.disk_bytenr == 0 || off >= ci.ii.size) continue;
      li.reads.push_back({off, fe.disk_bytenr + fe.offset, std::min(fe.num_bytes, ci.ii.size - off)});
    }
  }
  return l;
}

struct content_cache_entry {
  uint64_t root = 0;
  std::vector<std::pair<uint64_t, int>> leaves;  // (payload id, first slot) of each leaf read
  std::shared_ptr<const subvol_layout> layout;
  read_facts facts;                                           // found.clear(): only the idents are kept
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> held_data;  // keep the idents' objects alive
  std::vector<tree_block_ptr> held_trees;
  std::vector<cow_vector<uint8_t>> data;  // per layout inode (files)
  std::shared_ptr<const received_subvol> content;
};
constexpr size_t kContentCache = 4;

std::shared_ptr<const received_subvol> subvol_content(btrfs_fs_info& fs_info, uint64_t root_objectid,
                                                      std::vector<std::string>* problems) {
  auto rit = fs_info.roots.find(root_objectid);
  if (rit == fs_info.roots.end()) {
    if (problems) problems->push_back(fmt::format("subvolume {} does not exist", root_objectid));
    return std::make_shared<const received_subvol>();
  }
  thread_local std::vector<content_cache_entry> cache;  // oldest first
  thread_local read_facts facts;
  std::vector<std::pair<tree_block_ptr, int>> leaves;
  std::vector<std::pair<uint64_t, int>> leaf_ids;
  btrfs_for_each_leaf(fs_info, *rit->second, {BTRFS_FIRST_FREE_OBJECTID, 0, 0}, [&](const tree_block_ptr& b, int slot) {
    leaves.emplace_back(b, slot);
    leaf_ids.emplace_back(b->items.payload_id(), slot);
    return true;
  });
  content_cache_entry* hit = nullptr;
  for (auto& c : cache)
    if (c.root == root_objectid && c.leaves == leaf_ids) hit = &c;
  std::shared_ptr<const subvol_layout> layout =
      hit ? hit->layout : std::make_shared<const subvol_layout>(build_layout(root_objectid, leaves));
  leaves.clear();
  const subvol_layout& l = *layout;
  // Every read, in order (each btrfs_map_block call as send_read_logical makes it), and whether each
  // file's reads all found what they found in the kept check.
  facts.clear();
  std::vector<uint8_t> file_same(l.inodes.size(), 0);
  bool all_same = hit != nullptr;
  for (size_t i = 0, r = 0; i < l.inodes.size(); ++i) {
    const layout_inode& li = l.inodes[i];
    if (!li.file) continue;
    bool same = hit != nullptr;
    for (const layout_read& rd : li.reads) {
      map_and_identify(fs_info, rd.logical, rd.len, facts);
      same = same && facts.same_read(r, hit->facts);
      ++r;
    }
    file_same[i] = same;
    all_same &= same;
  }
  // The problems, in btrfs_subvol_content's order: each inode's path problems, then its unreadable data.
  if (problems)
    for (size_t i = 0, r = 0; i < l.inodes.size(); ++i) {
      const layout_inode& li = l.inodes[i];
      problems->insert(problems->end(), li.path_problems.begin(), li.path_problems.end());
      if (!li.file) continue;
      for (const layout_read& rd : li.reads)
        if (const int ret = facts.ret[r++])
          problems->push_back(fmt::format("inode {} of subvolume {}: data at logical {} unreadable ({})", li.ino,
                                          root_objectid, rd.logical, ret));
    }
  if (all_same) {  // the kept content, unchanged: make it the most recent
    std::shared_ptr<const received_subvol> out = hit->content;
    std::rotate(hit, hit + 1, cache.data() + cache.size());
    return out;
  }
  content_cache_entry e;
  e.root = root_objectid;
  e.leaves = std::move(leaf_ids);
  e.layout = layout;
  e.data.resize(l.inodes.size());
  for (size_t i = 0, r = 0; i < l.inodes.size(); ++i) {
    const layout_inode& li = l.inodes[i];
    if (!li.file) continue;
    if (file_same[i]) {
      e.data[i] = hit->data[i];
      r += li.reads.size();
      continue;
    }
    e.data[i].assign(li.size, 0);
    uint8_t* d = e.data[i].data();
    for (const layout_read& rd : li.reads) {
      // send_read_logical after its btrfs_map_block: nothing read after a mapping error; else the device
      // reads (up to a device that fails, as recorded).
      if (!facts.map_ret[r]) {
        const uint32_t sb = r ? facts.stripe_end[r - 1] : 0, se = facts.stripe_end[r];
        const std::vector<btrfs_bio_stripe> stripes(facts.stripes.begin() + sb, facts.stripes.begin() + se);
        (void)send_read_mapped(fs_info, rd.logical, rd.len, stripes, d + rd.off);
      }
      ++r;
    }
  }
  for (const sector* sec : facts.found)
    if (sec) {
      if (sec->data) e.held_data.push_back(sec->data);
      if (sec->tree) e.held_trees.push_back(sec->tree);
    }
  auto sv = std::make_shared<received_subvol>(l.skeleton);
  for (size_t i = 0; i < l.inodes.size(); ++i)
    if (l.inodes[i].file) sv->inodes[l.inodes[i].id].data = e.data[i];
  e.content = std::move(sv);
  e.facts = facts;
  e.facts.found.clear();
  std::shared_ptr<const received_subvol> out = e.content;
  if (hit) cache.erase(cache.begin() + (hit - cache.data()));
  else if (cache.size() >= kContentCache) cache.erase(cache.begin());
  cache.push_back(std::move(e));
  return out;
}

}  // namespace

received_subvol btrfs_subvol_content(const btrfs_fs_info& fs_info_const, uint64_t root_objectid,
                                     std::vector<std::string>* problems) {
  // Only reads; the tree and device accessors take a non-const fs_info.
  return *subvol_content(const_cast<btrfs_fs_info&>(fs_info_const), root_objectid, problems);
}

std::vector<std::string> btrfs_check_received(const btrfs_fs_info& fs_info) {
  // compare_received of the same received subvolume (the same object, kept alive here so that no other
  // takes its address; a cow_value's object is never changed while two holders share it) with the same
  // content object is kept per thread: a subvolume the prepared state received, compared with a
  // snapshot whose content did not change, is compared once.
  struct compare_entry {
    cow_value<received_subvol> got;
    std::shared_ptr<const received_subvol> want;
    std::vector<std::string> lines;
  };
  thread_local std::vector<compare_entry> compared;  // oldest first
  constexpr size_t kCompareCache = 4;
  std::vector<std::string> out;
  for (const auto& [uuid, got] : fs_info.received_subvols) {
    std::vector<std::string> problems;
    std::shared_ptr<const received_subvol> want =
        subvol_content(const_cast<btrfs_fs_info&>(fs_info), uuid, &problems);
    for (const auto& p : problems) out.push_back(fmt::format("cannot read the sent snapshot {}: {}", got->name, p));
    const std::vector<std::string>* lines = nullptr;
    for (const auto& c : compared)
      if (&*c.got == &*got && c.want == want) lines = &c.lines;
    if (!lines) {
      if (compared.size() >= kCompareCache) compared.erase(compared.begin());
      compared.push_back({got, want, compare_received(got, *want)});
      lines = &compared.back().lines;
    }
    for (const auto& d : *lines) out.push_back(fmt::format("send stream differs from the snapshot: {}: {}", got->name, d));
  }
  return out;
}

int btrfs_receive_stream(btrfs_fs_info& fs_info, const std::string& stream_name) {
  auto it = fs_info.send_streams.find(stream_name);
  if (it == fs_info.send_streams.end()) {
    // The send that should have written it failed or was turned away: btrfs receive reads an empty
    // stream (btrfs-progs: "empty stream is not considered valid", ENODATA from the stream reader).
    fs_info.log(fmt::format("receive: ERROR: empty stream is not considered valid (no stream named '{}' was sent)",
                            stream_name));
    return -ENODATA;
  }
  std::string error;
  int ret = btrfs_receive(fs_info.received_subvols, *it->second, &error);
  if (ret) fs_info.log(fmt::format("receive: {}", error));
  return ret;
}

}  // namespace fsrace::model
