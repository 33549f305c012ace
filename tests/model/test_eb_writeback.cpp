// Extent buffer writeback at commit: lock_extent_buffer_for_io / write_one_eb /
// end_bio_extent_buffer_writepage, and page reclaim meeting a buffer under writeback. The fs tree holds a
// raw inode item, so the fsck checks the trees as trees (fsck_scope::trees).
#include <cerrno>

#include "model/fsck.hpp"
#include "model/transaction.hpp"
#include "tests/model/test_extent_io_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test_eb;

namespace {

constexpr uint64_t kIno = BTRFS_FIRST_FREE_OBJECTID + 40;

// Dirties the fs tree's root leaf in a new transaction and brings its extent buffer into memory (the
// kernel always has one for a dirty block). Returns the buffer (a reference the caller drops).
extent_buffer_ptr dirty_fs_root_buffer(btrfs_fs_info& fs, btrfs_trans_handle& trans) {
  btrfs_root& root = *fs.get_fs_root(BTRFS_FS_TREE_OBJECTID);
  REQUIRE(btrfs_insert_item(trans, root, {kIno, BTRFS_INODE_ITEM_KEY, 0}, btrfs_inode_item{}) == 0);
  extent_buffer_ptr eb = find_extent_buffer(fs, root.node);
  REQUIRE(eb);
  return eb;
}

// The image of `bytenr` on every mirror.
std::vector<tree_block_ptr> on_disk(btrfs_fs_info& fs, uint64_t bytenr) {
  std::vector<btrfs_bio_stripe> stripes;
  REQUIRE(btrfs_map_block(fs, map_op::write, bytenr, fs.nodesize, 0, stripes) == 0);
  std::vector<tree_block_ptr> out;
  for (const auto& s : stripes) out.push_back(fs.device(s.devid)->bdev.read_tree_block(s.physical));
  return out;
}

size_t steps_containing(const sched::Execution& ex, const std::string& text) {
  size_t n = 0;
  for (const auto& st : ex.trace) n += sched::format_label(st.label).find(text) != std::string::npos;
  return n;
}

size_t last_step_containing(const sched::Execution& ex, const std::string& text) {
  size_t at = 0;
  for (size_t i = 0; i < ex.trace.size(); ++i)
    if (sched::format_label(ex.trace[i].label).find(text) != std::string::npos) at = i + 1;
  REQUIRE(at > 0);
  return at;
}

}  // namespace

TEST_CASE("eb writeback: the commit writes a dirty buffer through WRITEBACK and waits for it",
          "[model][extent_io][writeback]") {
  cold_block block;
  auto prepared = make_prepared_fs(16384, &block);
  sched::Scheduler s;
  lowest_first strategy;
  bool dirty_before = false, writeback_before = false;
  uint64_t bytenr = 0;
  extent_buffer_ptr eb;
  auto r = run_on_copy(*prepared, fix_set::all_on(), strategy, 0,
                       {{"commit", [&](btrfs_fs_info& fs) {
                           btrfs_trans_handle trans = btrfs_start_transaction(fs);
                           eb = dirty_fs_root_buffer(fs, trans);
                           bytenr = eb->start;
                           dirty_before = eb->test_bit(EXTENT_BUFFER_DIRTY);
                           writeback_before = eb->test_bit(EXTENT_BUFFER_WRITEBACK);
                           REQUIRE(btrfs_commit_transaction(trans) == 0);
                           free_extent_buffer(fs, eb);
                         }}},
                       s);
  INFO(r.ex.finding.message);
  REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
  CHECK(dirty_before);
  CHECK_FALSE(writeback_before);
  // The commit's fiber ran until it waited for the write; the completion fiber then ended it.
  CHECK(steps_containing(r.ex, "end_bio_extent_buffer_writepage") == eb->num_extent_pages());
  // btrfs_finish_extent_commit (after the superblock) runs only once every page of the write ended.
  CHECK(last_step_containing(r.ex, "end_bio_extent_buffer_writepage") <
        last_step_containing(r.ex, "btrfs_finish_extent_commit"));
  CHECK_FALSE(eb->test_bit(EXTENT_BUFFER_DIRTY));
  CHECK_FALSE(eb->test_bit(EXTENT_BUFFER_WRITEBACK));
  CHECK(eb->io_pages == 0);
  for (uint64_t index : eb->pages) {
    const btree_page& p = *r.fs->btree_pages.at(index);
    CHECK_FALSE(p.dirty);
    CHECK_FALSE(p.writeback);
  }
  // Every mirror holds the image the commit checksummed.
  const tree_block_ptr current = *r.fs->buffer_radix.find(bytenr);
  for (const auto& img : on_disk(*r.fs, bytenr)) {
    REQUIRE(img);
    CHECK(img->header.generation == current->header.generation);
    CHECK(img->header.csum == current->content_csum());
  }
  CHECK(btrfs_check(*r.fs, fsck_scope::trees).empty());
}

// Page reclaim of the buffer's pages races with the commit writing it. Under every schedule within the
// bound: the buffer is never freed under IO, reclaim is refused while the pages are dirty or under
// writeback, and once the write ended (and the committer dropped its reference) reclaim can free it.
TEST_CASE("eb writeback: page reclaim never frees a buffer under writeback (DFS)",
          "[model][extent_io][writeback][race]") {
  cold_block block;
  auto prepared = make_prepared_fs(16384, &block);
  uint64_t executions = 0, refused_under_writeback = 0, freed_after = 0;
  sched::DfsStrategy dfs(2);
  for (bool more = true; more && executions < 50000; more = dfs.next()) {
    ++executions;
    sched::Scheduler s;
    int reclaimed = -1;
    bool writeback_throughout = false;
    auto r = run_on_copy(*prepared, fix_set::all_on(), dfs, executions,
                         {{"commit", [&](btrfs_fs_info& fs) {
                             btrfs_trans_handle trans = btrfs_start_transaction(fs);
                             extent_buffer_ptr eb = dirty_fs_root_buffer(fs, trans);
                             free_extent_buffer(fs, eb);
                             REQUIRE(btrfs_commit_transaction(trans) == 0);
                           }},
                          {"kswapd", [&](btrfs_fs_info& fs) {
                             btrfs_root& root = *fs.get_fs_root(BTRFS_FS_TREE_OBJECTID);
                             auto it = fs.eb_tree.find(root.node >> PAGE_SHIFT);
                             if (it == fs.eb_tree.end()) return;  // not in memory yet
                             extent_buffer_ptr eb = it->second;
                             const bool before = eb->test_bit(EXTENT_BUFFER_WRITEBACK);
                             reclaimed = shrink_btree_page(fs, root.node >> PAGE_SHIFT);
                             // One commit writes the buffer once: set before and after means set throughout.
                             writeback_throughout = before && eb->test_bit(EXTENT_BUFFER_WRITEBACK);
                           }}},
                         s);
    INFO("execution " << executions << ": " << r.ex.finding.message);
    REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
    if (writeback_throughout) {
      CHECK(reclaimed == 0);
      ++refused_under_writeback;
    }
    if (reclaimed == 1) ++freed_after;
    CHECK(btrfs_check(*r.fs, fsck_scope::trees).empty());
  }
  INFO("executions " << executions);
  CHECK(dfs.exhausted());
  // Both outcomes occur: the schedules cover reclaim during the write and after it.
  CHECK(refused_under_writeback > 0);
  CHECK(freed_after > 0);
  WARN("eb writeback vs reclaim, DFS bound 2: " << executions << " schedules, " << refused_under_writeback
                                                 << " reclaim attempts under writeback, " << freed_after
                                                 << " pages freed after the write");
}
