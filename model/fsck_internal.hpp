// Parts of btrfs check shared by the check of the in-memory trees (fsck.cpp) and the check of the
// committed state read back from the devices (fsck_disk.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "model/fsck.hpp"
#include "model/items.hpp"
#include "model/probe_index.hpp"
#include "model/tree_block.hpp"

namespace fsrace::model::fsck {

// Sorts (key, value) pairs by key, keeping of each key the last one found: what a map's assignment kept,
// in a flat vector to search by bisection. Stable, so that a tree with keys out of order (a problem the
// walk reports) gives the same result.
template <class Pair>
void sort_keep_last(std::vector<Pair>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Pair& a, const Pair& b) { return a.first < b.first; });
  size_t n = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (n && v[n - 1].first == v[i].first) v[n - 1] = v[i];
    else v[n++] = v[i];
  }
  v.resize(n);
}

struct problem_list {
  std::vector<std::string> problems;
  std::string prefix;  // "" for the in-memory trees, "on disk: " for the committed state
  template <class... A> void problem(fmt::format_string<A...> f, A&&... a) {
    problems.push_back(prefix + fmt::format(f, std::forward<A>(a)...));
  }
};

// A subvolume linked into a directory: DIR_ITEM / DIR_INDEX with a ROOT_ITEM location, or the
// ROOT_REF / ROOT_BACKREF pair of the root tree.
struct subvol_link {
  uint64_t parent = 0, child = 0, dirid = 0, index = 0;
  std::string name;
  auto operator<=>(const subvol_link&) const = default;
};

// The items of one fs tree, in key order (check_fs_root's facts): every inode item against its inode
// refs (nlink), every inode ref against the directory's DIR_ITEM and DIR_INDEX (same name, index and
// location) and back, directory i_size (twice the name lengths of its entries), nbytes (bytes of the
// file extents that have a disk extent), and file extent items that do not overlap.
class fs_tree_checker {
 public:
  fs_tree_checker(uint64_t root_id, problem_list& out) : root_(root_id), out_(out) {}
  void item(const btrfs_item& it);
  // Ends the tree; `links` receives the subvolumes its directories link.
  void finish(std::vector<subvol_link>& links);

 private:
  struct dir_entry {
    uint64_t index = 0;  // DIR_INDEX key offset (0 for a DIR_ITEM)
    btrfs_key location;
    std::string name;
  };
  struct inode_facts {
    bool has_item = false;
    btrfs_inode_item ii;
    std::vector<std::pair<uint64_t, btrfs_inode_ref>> refs;  // (parent dir, ref)
    std::vector<dir_entry> dir_items, dir_index;
    uint64_t extent_bytes = 0, last_extent_end = 0;
  };
  void end_inode();
  uint64_t root_;
  problem_list& out_;
  uint64_t ino_ = 0;
  inode_facts cur_;
  std::map<uint64_t, inode_facts> dirs_;                          // directories, kept to the end
  std::vector<std::tuple<uint64_t, uint64_t, btrfs_inode_ref>> refs_;  // (ino, parent, ref)
  std::set<uint64_t> inodes_;                                      // inodes that have an inode item
};

// Subvolume links of the root tree against those of the directories.
void check_root_refs(problem_list& out, const std::vector<subvol_link>& root_refs,
                     const std::vector<subvol_link>& root_backrefs, const std::vector<subvol_link>& dir_links,
                     const std::set<uint64_t>& roots);

// Tree block objects whose checksum the check of the in-memory trees computed and found matching
// (btrfs_check, just before it checks the committed state). The check changes nothing and no model
// code runs between the two, and the buffer cache holds every such block throughout, so an address
// names the same unchanged block: the committed state's check takes those as verified instead of
// computing their checksums again (a block the devices hold is usually the buffer cache's object).
// Only looked up, never iterated.
using verified_blocks = probe_index<const tree_block*, bool>;
std::vector<std::string> check_committed(const btrfs_fs_info& fs_info, fsck_scope scope,
                                         const verified_blocks* verified);

}  // namespace fsrace::model::fsck
