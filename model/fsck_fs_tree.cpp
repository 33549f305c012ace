// btrfs check's facts about fs trees (check_fs_roots) and root references (check_root_refs), as the
// model keeps them: one top directory per subvolume (256), no orphan items (an unlinked inode keeps
// its inode item with nlink 0 until evicted), no inline extents.
#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "model/fsck_internal.hpp"
#include "model/key.hpp"
#include "model/maint/snapshot_internal.hpp"

namespace fsrace::model::fsck {

void fs_tree_checker::item(const btrfs_item& it) {
  if (it.key.objectid != ino_) {
    end_inode();
    ino_ = it.key.objectid;
  }
  switch (it.key.type) {
    case BTRFS_INODE_ITEM_KEY:
      cur_.has_item = true;
      cur_.ii = std::get<btrfs_inode_item>(it.value);
      break;
    case BTRFS_INODE_REF_KEY:
      cur_.refs.emplace_back(it.key.offset, std::get<btrfs_inode_ref>(it.value));
      break;
    case BTRFS_DIR_ITEM_KEY: {
      const auto& di = std::get<btrfs_dir_item>(it.value);
      if (it.key.offset != btrfs_name_hash(di.name))
        out_.problem("root {} dir {}: DIR_ITEM '{}' at hash {} but the name hashes to {}", root_, ino_, di.name,
                     it.key.offset, btrfs_name_hash(di.name));
      cur_.dir_items.push_back({0, di.location, di.name});
      break;
    }
    case BTRFS_DIR_INDEX_KEY: {
      const auto& di = std::get<btrfs_dir_item>(it.value);
      cur_.dir_index.push_back({it.key.offset, di.location, di.name});
      break;
    }
    case BTRFS_EXTENT_DATA_KEY: {
      const auto& fe = std::get<btrfs_file_extent_item>(it.value);
      if (it.key.offset < cur_.last_extent_end)
        out_.problem("root {} ino {}: file extent at {} overlaps the previous one (ending at {})", root_, ino_,
                     it.key.offset, cur_.last_extent_end);
      if (fe.type == BTRFS_FILE_EXTENT_INLINE) {
        cur_.extent_bytes += fe.ram_bytes;
        cur_.last_extent_end = it.key.offset + fe.ram_bytes;
        break;
      }
      if (fe.disk_bytenr != 0) cur_.extent_bytes += fe.num_bytes;
      cur_.last_extent_end = it.key.offset + fe.num_bytes;
      if (fe.disk_bytenr != 0 && fe.offset + fe.num_bytes > fe.ram_bytes)
        out_.problem("root {} ino {}: file extent at {} uses [{}, {}) of an extent of {} bytes", root_, ino_,
                     it.key.offset, fe.offset, fe.offset + fe.num_bytes, fe.ram_bytes);
      break;
    }
    default: break;
  }
}

void fs_tree_checker::end_inode() {
  if (ino_ == 0) return;
  inode_facts f = std::move(cur_);
  cur_ = {};
  const bool is_dir = ino_ == BTRFS_FIRST_FREE_OBJECTID || !f.dir_items.empty() || !f.dir_index.empty();
  if (!f.has_item) {
    if (!f.refs.empty() || f.extent_bytes || is_dir)
      out_.problem("root {} ino {}: items but no inode item", root_, ino_);
  } else {
    inodes_.insert(ino_);
    if (!is_dir) {
      // An inode with nlink 0 and no name is an orphan waiting for eviction (orphan items are not modelled).
      if (f.ii.nlink != f.refs.size())
        out_.problem("root {} ino {}: nlink {} but {} inode ref{}", root_, ino_, f.ii.nlink, f.refs.size(),
                     f.refs.size() == 1 ? "" : "s");
      if (f.ii.nbytes != f.extent_bytes)
        out_.problem("root {} ino {}: nbytes {} but its file extents hold {}", root_, ino_, f.ii.nbytes,
                     f.extent_bytes);
    }
  }
  for (auto& [parent, ref] : f.refs) refs_.emplace_back(ino_, parent, std::move(ref));
  if (is_dir) dirs_[ino_] = std::move(f);
}

void fs_tree_checker::finish(std::vector<subvol_link>& links) {
  end_inode();
  ino_ = 0;
  // Each directory's entries as sorted vectors of views into dirs_ (which no longer changes), only
  // asked whether they hold an entry: pairing costs O(n log n) in a directory of n names rather than
  // O(n^2), without a tree node per entry.
  using named_location = std::pair<std::string_view, btrfs_key>;
  struct entry_sets {
    std::vector<std::tuple<uint64_t, std::string_view, btrfs_key>> index;  // DIR_INDEX: (index, name, location)
    std::vector<named_location> index_names, items;                        // DIR_INDEX and DIR_ITEM: (name, location)
  };
  auto sorted = [](auto& v) { std::sort(v.begin(), v.end()); };
  auto holds = [](const auto& v, const auto& x) { return std::binary_search(v.begin(), v.end(), x); };
  std::map<uint64_t, entry_sets> sets;
  for (const auto& [dir, f] : dirs_) {
    entry_sets& e = sets[dir];
    e.index.reserve(f.dir_index.size());
    e.index_names.reserve(f.dir_index.size());
    e.items.reserve(f.dir_items.size());
    for (const auto& x : f.dir_index) {
      e.index.emplace_back(x.index, x.name, x.location);
      e.index_names.emplace_back(x.name, x.location);
    }
    for (const auto& x : f.dir_items) e.items.emplace_back(x.name, x.location);
    sorted(e.index);
    sorted(e.index_names);
    sorted(e.items);
  }
  // Every name of an inode is in its directory twice: DIR_ITEM (by name hash) and DIR_INDEX (by index).
  std::vector<std::tuple<uint64_t, uint64_t, uint64_t, std::string_view>> named;  // (dir, ino, index, name)
  named.reserve(refs_.size());
  for (const auto& [ino, parent, ref] : refs_) {
    if (ino == BTRFS_FIRST_FREE_OBJECTID && parent == ino) continue;  // the top directory's ".."
    named.emplace_back(parent, ino, ref.index, ref.name);
    auto d = sets.find(parent);
    const btrfs_key loc{ino, BTRFS_INODE_ITEM_KEY, 0};
    const std::string_view name = ref.name;
    const bool indexed = d != sets.end() && holds(d->second.index, std::tuple<uint64_t, std::string_view, btrfs_key>{ref.index, name, loc});
    const bool itemed = d != sets.end() && holds(d->second.items, named_location{name, loc});
    if (!indexed || !itemed)
      out_.problem("root {} ino {}: inode ref '{}' index {} in dir {} has no matching {}", root_, ino, ref.name,
                   ref.index, parent, !indexed ? "DIR_INDEX" : "DIR_ITEM");
  }
  sorted(named);
  for (const auto& [dir, f] : dirs_) {
    const entry_sets& es = sets.at(dir);
    uint64_t names = 0;
    for (const auto& e : f.dir_items) names += e.name.size();
    for (const auto& e : f.dir_index) names += e.name.size();
    if (f.has_item && f.ii.size != names)
      out_.problem("root {} dir {}: i_size {} but its entries' names add up to {}", root_, dir, f.ii.size, names);
    for (const auto& e : f.dir_index) {
      if (!holds(es.items, named_location{e.name, e.location}))
        out_.problem("root {} dir {}: DIR_INDEX {} '{}' has no DIR_ITEM", root_, dir, e.index, e.name);
      if (e.location.type == BTRFS_ROOT_ITEM_KEY) {
        links.push_back({root_, e.location.objectid, dir, e.index, e.name});
      } else if (!holds(named, std::tuple<uint64_t, uint64_t, uint64_t, std::string_view>{dir, e.location.objectid, e.index, e.name})) {
        out_.problem("root {} dir {}: DIR_INDEX {} '{}' points at ino {}, which has no such inode ref", root_, dir,
                     e.index, e.name, e.location.objectid);
      } else if (!inodes_.count(e.location.objectid)) {
        out_.problem("root {} dir {}: entry '{}' points at ino {}, which has no inode item", root_, dir, e.name,
                     e.location.objectid);
      }
    }
    for (const auto& e : f.dir_items)
      if (!holds(es.index_names, named_location{e.name, e.location}))
        out_.problem("root {} dir {}: DIR_ITEM '{}' has no DIR_INDEX", root_, dir, e.name);
  }
}

void check_root_refs(problem_list& out, const std::vector<subvol_link>& root_refs,
                     const std::vector<subvol_link>& root_backrefs, const std::vector<subvol_link>& dir_links,
                     const std::set<uint64_t>& roots) {
  const std::set<subvol_link> refs(root_refs.begin(), root_refs.end()), back(root_backrefs.begin(), root_backrefs.end()),
      dirs(dir_links.begin(), dir_links.end());  // every ROOT_REF needs its entry; not every entry a ROOT_REF
  for (const auto& l : refs) {
    if (!back.count(l)) out.problem("ROOT_REF {} -> {} '{}' has no matching ROOT_BACKREF", l.parent, l.child, l.name);
    if (!dirs.count(l))
      out.problem("ROOT_REF {} -> {} '{}' has no directory entry in dir {} of root {}", l.parent, l.child, l.name,
                  l.dirid, l.parent);
    if (!roots.count(l.child)) out.problem("ROOT_REF {} -> {} '{}': root {} has no root item", l.parent, l.child, l.name, l.child);
  }
  for (const auto& l : back)
    if (!refs.count(l)) out.problem("ROOT_BACKREF {} -> {} '{}' has no matching ROOT_REF", l.parent, l.child, l.name);
  // A directory entry of a subvolume without a ROOT_REF is not a problem: a snapshot copies its source's
  // entries of nested subvolumes, and 6.1 shows them as empty directories (new_simple_dir when
  // fixup_tree_root_location finds no ROOT_REF).
}

}  // namespace fsrace::model::fsck
