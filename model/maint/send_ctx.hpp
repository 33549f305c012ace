// Internal state of one send (struct send_ctx in fs/btrfs/send.c) and the functions of send.c the
// model implements, split over send_*.cpp by concern.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/ctree.hpp"
#include "model/maint/send_stream.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

enum btrfs_compare_tree_result {
  BTRFS_COMPARE_TREE_NEW,
  BTRFS_COMPARE_TREE_DELETED,
  BTRFS_COMPARE_TREE_CHANGED,
  BTRFS_COMPARE_TREE_SAME,
};

// A commit-root path as send holds it. Without d96b34248c2f the path holds extent buffers by
// bytenr: their content is whatever the buffer cache has at that bytenr now (a freed and reused
// block shows its new content). With it, leaves and root nodes are clones
// (btrfs_clone_extent_buffer): private copies immune to reuse.
struct send_path {
  btrfs_path path{true, true};
  std::array<tree_block_ptr, BTRFS_MAX_LEVEL> clones{};
  void release() {
    path.release();
    clones = {};
  }
};

// An inode reference as recorded by changed_ref (struct recorded_ref).
struct recorded_ref {
  uint64_t dir = 0;
  std::string name;
  bool operator==(const recorded_ref&) const = default;
};

struct send_ctx {
  send_ctx(btrfs_fs_info& fs, btrfs_root& send, btrfs_root* parent) : fs_info(fs), send_root(send), parent_root(parent) {}
  btrfs_fs_info& fs_info;
  btrfs_root& send_root;
  btrfs_root* parent_root = nullptr;
  send_stream stream;
  bool cloned_buffers = false;     // d96b34248c2f: leaves are cloned, relocation restarts the search
  uint64_t last_reloc_trans = 0;   // d96b34248c2f: sctx->last_reloc_trans
  // Roots whose data references count as the send root's own in find_extent_clone: the send root
  // and the roots it was snapshotted from (root_item.parent_uuid), which share its leaves.
  std::vector<uint64_t> backref_roots;

  // The item changed_cb is processing (copied out of the leaf when the callback starts).
  btrfs_key cmp_key;
  std::optional<btrfs_item> left_item, right_item;

  // The inode being processed.
  uint64_t cur_ino = 0, cur_inode_gen = 0, cur_inode_size = 0, cur_inode_mode = 0;
  uint64_t right_inode_mode = 0;
  bool cur_inode_new = false, cur_inode_new_gen = false, cur_inode_deleted = false;
  uint64_t cur_inode_last_extent = ~0ull;
  uint64_t send_progress = 0;  // inodes below it have had their references processed
  std::vector<recorded_ref> new_refs, deleted_refs;

  // The receiver's namespace as the stream has changed it so far: current path of each inode the
  // stream moved, and who owns a path (0: freed). Anything else is as in the parent snapshot.
  std::map<uint64_t, std::string> cur_paths;
  std::map<std::string, uint64_t> path_owner;
};

// --- send_tree.cpp: commit-root access ---------------------------------------------------------
// The item at the path's leaf slot as send reads it now (clone or current buffer content). A leaf
// that became a node, or a slot past its items, is reported (-EUCLEAN) where the kernel would parse
// garbage.
int send_path_item(send_ctx& sctx, const send_path& sp, btrfs_item* out);
// The block content the path holds at `level` (clone or buffer cache); null if gone.
tree_block_ptr send_path_block(send_ctx& sctx, const send_path& sp, int level);
// btrfs_search_slot_for_read(find_higher) on a commit root, cloning the leaf with d96b34248c2f
// (need_commit_sem). 0 found an item >= key, 1 nothing at or after key, <0 error.
int send_search_for_read(send_ctx& sctx, btrfs_root& root, const btrfs_key& key, send_path& sp);
// btrfs_next_item over a commit root. 0 ok, 1 end, <0 error.
int send_next_item(send_ctx& sctx, btrfs_root& root, send_path& sp);
// search_key_again: the exact key at `level` of the current commit root (d96b34248c2f restarts).
int search_key_again(send_ctx& sctx, btrfs_root& root, send_path& sp, const btrfs_key& key, int level);
// Visits the items of `root`'s commit root with key >= from while fn returns true (fn gets copies).
// Returns 0 or a negative errno.
template <class Fn>
int send_iterate_items(send_ctx& sctx, btrfs_root& root, const btrfs_key& from, Fn&& fn);

// --- send_compare.cpp / send_full.cpp --------------------------------------------------------------
int btrfs_compare_trees(send_ctx& sctx);
int full_send_tree(send_ctx& sctx);

// --- send_process.cpp: changed_cb and inode processing ---------------------------------------------
int changed_cb(send_ctx& sctx, const btrfs_item* left, const btrfs_item* right, const btrfs_key& key,
               btrfs_compare_tree_result result);
int finish_inode_if_needed(send_ctx& sctx, bool at_end);

// --- send_paths.cpp: names on the receiver ---------------------------------------------------------
std::string gen_unique_name(uint64_t ino, uint64_t gen);
// get_cur_path: where inode `ino` is on the receiver now. <0 on a tree read error.
int get_cur_path(send_ctx& sctx, uint64_t ino, uint64_t gen, std::string* out);
// get_first_ref: the first reference (dir, name) of `ino` in `root` (commit root). -ENOENT if none.
int get_first_ref(send_ctx& sctx, btrfs_root& root, uint64_t ino, recorded_ref* out);
// The inode owning `path` on the receiver now (0: none). <0 on a tree read error.
int receiver_path_owner(send_ctx& sctx, uint64_t dir, const std::string& name, const std::string& path,
                        uint64_t* owner);
void emit(send_ctx& sctx, send_command c);
void note_path(send_ctx& sctx, uint64_t ino, const std::string& old_path, const std::string& new_path);

// --- send_extent.cpp: file data ------------------------------------------------------------------
int changed_extent(send_ctx& sctx, btrfs_compare_tree_result result);
int maybe_send_hole(send_ctx& sctx, const btrfs_item& item);
int process_all_extents(send_ctx& sctx);
int send_finish_file_data(send_ctx& sctx);  // holes up to i_size (incremental) and truncate

}  // namespace fsrace::model

#include "model/maint/send_iterate.hpp"
