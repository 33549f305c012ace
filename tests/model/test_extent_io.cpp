// Extent buffer cache model: reference rules, TREE_REF, reads, page locks and page reclaim.
#include <cerrno>

#include "tests/model/test_extent_io_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test_eb;

namespace {

struct eb_env {
  cold_block block;
  std::unique_ptr<btrfs_fs_info> prepared;
  explicit eb_env(uint32_t nodesize = 16384) : prepared(make_prepared_fs(nodesize, &block)) {}

  // Runs one fiber (plus the bio completions it starts) on a copy, lowest id first.
  run_result run(const std::function<void(btrfs_fs_info&)>& body, bool fix = true) {
    sched::Scheduler s;
    lowest_first strategy;
    return run_on_copy(*prepared, fixes_with(fix), strategy, 0, {{"test", body}}, s);
  }
};

uint64_t first_page(const cold_block& b) { return b.bytenr >> PAGE_SHIFT; }

size_t count_fibers(const sched::Execution& ex, const std::string& name) {
  size_t n = 0;
  for (const auto& f : ex.fiber_names) n += f == name;
  return n;
}

void require_clean(const sched::Execution& ex) {
  INFO(ex.finding.message);
  REQUIRE(ex.finding.kind == sched::FindingKind::None);
}

}  // namespace

TEST_CASE("extent_io: alloc_extent_buffer inserts a buffer holding the tree reference", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    int err = 0;
    extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
    REQUIRE(eb);
    CHECK(err == 0);
    CHECK(eb->refs == 2);  // ours and the tree's
    CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));
    CHECK(eb->test_bit(EXTENT_BUFFER_IN_TREE));
    CHECK_FALSE(eb->test_bit(EXTENT_BUFFER_UPTODATE));  // brand new pages: nothing read yet
    REQUIRE(eb->num_extent_pages() == fs.nodesize / PAGE_SIZE);
    for (uint64_t index : eb->pages) {
      const btree_page& p = *fs.btree_pages.at(index);
      CHECK_FALSE(p.locked);
      CHECK(p.private_eb == eb->id);
      CHECK(p.refcount == 3);  // page cache, the buffer, page private
    }
    extent_buffer_ptr again = alloc_extent_buffer(fs, env.block.bytenr, &err);
    CHECK(again == eb);  // found in the radix tree, not a second buffer
    CHECK(eb->refs == 3);
    free_extent_buffer(fs, again);
    free_extent_buffer(fs, eb);
    CHECK(eb->refs == 1);  // the tree reference only
    CHECK_FALSE(eb->freed);
    CHECK(fs.eb_tree.at(env.block.bytenr >> PAGE_SHIFT) == eb);
  });
  require_clean(r.ex);
}

TEST_CASE("extent_io: alloc_extent_buffer rejects an unaligned start", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    int err = 0;
    CHECK_FALSE(alloc_extent_buffer(fs, env.block.bytenr + 512, &err));
    CHECK(err == -EINVAL);
  });
  require_clean(r.ex);
  CHECK(r.fs->dmesg.back().find("bad tree block start") != std::string::npos);
}

TEST_CASE("extent_io: releasepage frees only a buffer with refs == 1 that is not under IO", "[model][extent_io]") {
  eb_env env;
  SECTION("a referenced buffer stays") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
      btree_page& p = *fs.btree_pages.at(first_page(env.block));
      CHECK(try_release_extent_buffer(fs, p) == 0);
      CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));  // untouched
      CHECK(eb->refs == 2);
      free_extent_buffer(fs, eb);
    });
    require_clean(r.ex);
  }
  SECTION("a buffer under read IO stays, even when only the tree holds it") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      readahead_tree_block(fs, env.block.bytenr);  // submits the read and drops its reference at once
      extent_buffer_ptr eb = fs.eb_tree.at(env.block.bytenr >> PAGE_SHIFT);
      REQUIRE(eb->io_pages == int64_t(fs.nodesize / PAGE_SIZE));
      REQUIRE(eb->refs == 1);
      btree_page& p = *fs.btree_pages.at(first_page(env.block));
      CHECK(try_release_extent_buffer(fs, p) == 0);
      CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));
      CHECK(shrink_btree_page(fs, p.index) == 0);  // and reclaim cannot even lock the page
    });
    require_clean(r.ex);
    CHECK(count_fibers(r.ex, "endio") == 1);
  }
  SECTION("a dirty page is never released") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
      free_extent_buffer(fs, eb);
      btree_page& p = *fs.btree_pages.at(first_page(env.block));
      p.dirty = true;
      CHECK(btree_releasepage(fs, p) == 0);
      p.dirty = false;
      CHECK(btree_releasepage(fs, p) == 1);
    });
    require_clean(r.ex);
  }
  SECTION("the tree's last reference is dropped and the buffer freed") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
      free_extent_buffer(fs, eb);
      btree_page& p = *fs.btree_pages.at(first_page(env.block));
      CHECK(try_release_extent_buffer(fs, p) == 1);
      CHECK(eb->freed);
      CHECK(fs.eb_tree.empty());
      CHECK(fs.allocated_ebs.empty());
      for (uint64_t index : eb->pages) {
        CHECK(fs.btree_pages.at(index)->private_eb == 0);
        CHECK(fs.btree_pages.at(index)->refcount == 1);  // only the page cache's
      }
    });
    require_clean(r.ex);
  }
}

TEST_CASE("extent_io: freeing the last reference of a buffer under IO is the kernel's BUG", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    int err = 0;
    extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
    REQUIRE(read_extent_buffer_pages(fs, *eb, WAIT_NONE, 0) == 0);
    eb->clear_bit(EXTENT_BUFFER_TREE_REF);  // as a racing releasepage would leave it
    --eb->refs;
    free_extent_buffer(fs, eb);
  });
  REQUIRE(r.ex.finding.kind == sched::FindingKind::Bug);
  CHECK(r.ex.finding.message.find("freed while under IO") != std::string::npos);
}

TEST_CASE("extent_io: TREE_REF is counted in refs exactly once", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    int err = 0;
    extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
    check_buffer_tree_ref(fs, *eb);  // set and counted already: no change
    CHECK(eb->refs == 2);
    eb->refs_lock.spin_lock();  // drop the tree reference as releasepage does
    REQUIRE(eb->test_and_clear_bit(EXTENT_BUFFER_TREE_REF));
    --eb->refs;
    eb->refs_lock.spin_unlock();
    check_buffer_tree_ref(fs, *eb);  // restores it, with its reference
    CHECK(eb->refs == 2);
    CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));
    // Without TREE_REF the remaining reference is a holder's: releasepage leaves it.
    eb->refs_lock.spin_lock();
    eb->clear_bit(EXTENT_BUFFER_TREE_REF);
    --eb->refs;
    eb->refs_lock.spin_unlock();
    CHECK(try_release_extent_buffer(fs, *fs.btree_pages.at(first_page(env.block))) == 0);
    CHECK(eb->refs == 1);
    CHECK_FALSE(eb->freed);
    free_extent_buffer(fs, eb);  // the holder's last reference frees it
    CHECK(eb->freed);
    CHECK(fs.eb_tree.empty());
  });
  require_clean(r.ex);
}

TEST_CASE("extent_io: free_extent_buffer_stale drops the tree reference with the last holder", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    int err = 0;
    extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
    extent_buffer_ptr second = find_extent_buffer(fs, env.block.bytenr);
    REQUIRE(eb->refs == 3);
    free_extent_buffer_stale(fs, second);  // refs 3: only our reference goes
    CHECK(eb->refs == 2);
    CHECK(eb->test_bit(EXTENT_BUFFER_STALE));
    free_extent_buffer_stale(fs, eb);  // refs 2, stale, not under IO: tree reference dropped too
    CHECK(eb->freed);
    CHECK(fs.eb_tree.empty());
  });
  require_clean(r.ex);
}

TEST_CASE("extent_io: readahead life cycle of a cold tree block", "[model][extent_io]") {
  for (uint32_t nodesize : {4096u, 16384u}) {
    DYNAMIC_SECTION("nodesize " << nodesize) {
      eb_env env(nodesize);
      auto r = env.run([&](btrfs_fs_info& fs) {
        readahead_tree_block(fs, env.block.bytenr);
        extent_buffer_ptr eb = fs.eb_tree.at(env.block.bytenr >> PAGE_SHIFT);
        CHECK(eb->refs == 1);  // only the tree: readahead dropped its reference, the IO holds none
        CHECK(eb->io_pages == int64_t(nodesize / PAGE_SIZE));
        for (uint64_t index : eb->pages) CHECK(fs.btree_pages.at(index)->locked);  // locked for the read
        // A synchronous reader waits for the same IO instead of starting another.
        int err = 0;
        extent_buffer_ptr reader = read_tree_block_eb(fs, env.block.bytenr, env.block.generation, env.block.level, &err);
        REQUIRE(reader == eb);
        CHECK(err == 0);
        free_extent_buffer(fs, reader);
        readahead_tree_block(fs, env.block.bytenr);  // uptodate now: no IO
      });
      require_clean(r.ex);
      CHECK(count_fibers(r.ex, "endio") == 1);
      btrfs_fs_info& fs = *r.fs;
      extent_buffer_ptr eb = fs.eb_tree.at(env.block.bytenr >> PAGE_SHIFT);
      CHECK(eb->refs == 1);
      CHECK(eb->test_bit(EXTENT_BUFFER_UPTODATE));
      CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));
      CHECK(eb->io_pages == 0);
      CHECK(eb->read_mirror == 1);
      REQUIRE(eb->block);
      CHECK(eb->block == *fs.buffer_radix.find(env.block.bytenr));  // what mkfs wrote
      for (uint64_t index : eb->pages) {
        CHECK_FALSE(fs.btree_pages.at(index)->locked);
        CHECK(fs.btree_pages.at(index)->uptodate);
      }
    }
  }
}

TEST_CASE("extent_io: readahead gives up on a locked page, a synchronous read waits for it",
          "[model][extent_io]") {
  eb_env env;
  SECTION("WAIT_NONE: trylock_page fails, nothing is read") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      extent_buffer_ptr eb = alloc_extent_buffer(fs, env.block.bytenr, &err);
      btree_page& last = *fs.btree_pages.at(eb->pages.back());
      REQUIRE(trylock_page(last));
      CHECK(read_extent_buffer_pages(fs, *eb, WAIT_NONE, 0) == 0);
      CHECK(eb->io_pages == 0);
      CHECK_FALSE(eb->test_bit(EXTENT_BUFFER_UPTODATE));
      for (uint64_t index : eb->pages) CHECK(fs.btree_pages.at(index)->locked == (index == last.index));
      unlock_page(last);
      free_extent_buffer(fs, eb);
    });
    require_clean(r.ex);
    CHECK(count_fibers(r.ex, "endio") == 0);
  }
  SECTION("WAIT_COMPLETE: lock_page sleeps until the holder unlocks") {
    sched::Scheduler s;
    sched::RandomStrategy strategy;
    const uint64_t index = first_page(env.block);
    for (uint64_t seed = 0; seed < 20; ++seed) {
      auto r = run_on_copy(*env.prepared, fixes_with(true), strategy, seed,
                           {{"holder",
                             [&](btrfs_fs_info& fs) {
                               btree_page_ptr p = find_or_create_page(fs, index);  // locked, like reclaim holds it
                               sched::point(sched::L("hold"));
                               sched::point(sched::L("hold"));
                               unlock_page(*p);
                               put_page(*p);
                             }},
                            {"reader",
                             [&](btrfs_fs_info& fs) {
                               int err = 0;
                               extent_buffer_ptr eb = read_tree_block_eb(fs, env.block.bytenr, env.block.generation,
                                                                         env.block.level, &err);
                               REQUIRE(eb);
                               CHECK(eb->test_bit(EXTENT_BUFFER_UPTODATE));
                               free_extent_buffer(fs, eb);
                             }}},
                           s);
      require_clean(r.ex);
    }
  }
}

TEST_CASE("extent_io: page reclaim frees a clean unreferenced block, which is then read again",
          "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) {
    readahead_tree_block(fs, env.block.bytenr);
    int err = 0;
    extent_buffer_ptr eb = read_tree_block_eb(fs, env.block.bytenr, env.block.generation, env.block.level, &err);
    REQUIRE(eb);
    CHECK(evict_tree_block(fs, env.block.bytenr) == -EBUSY);  // we still hold it
    free_extent_buffer(fs, eb);
    CHECK(evict_tree_block(fs, env.block.bytenr) == 0);
    CHECK(eb->freed);
    CHECK(fs.eb_tree.empty());
    CHECK(fs.btree_pages.empty());
    readahead_tree_block(fs, env.block.bytenr);  // cold again: a second read
  });
  require_clean(r.ex);
  CHECK(count_fibers(r.ex, "endio") == 2);
  CHECK(r.fs->freed_ebs == 1);
  CHECK(r.fs->eb_tree.at(env.block.bytenr >> PAGE_SHIFT)->test_bit(EXTENT_BUFFER_UPTODATE));
}

TEST_CASE("extent_io: read_tree_block_eb verifies what it read", "[model][extent_io]") {
  eb_env env;
  SECTION("wrong parent transid") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      CHECK_FALSE(read_tree_block_eb(fs, env.block.bytenr, env.block.generation + 1, env.block.level, &err));
      CHECK(err == -EIO);
    });
    require_clean(r.ex);
    CHECK(r.fs->dmesg.back().find("parent transid verify failed on " + std::to_string(env.block.bytenr)) !=
          std::string::npos);
    CHECK(r.fs->eb_tree.empty());  // freed as stale
    CHECK(count_fibers(r.ex, "endio") == 2);  // both mirrors of the DUP metadata tried
  }
  SECTION("wrong level") {
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      CHECK_FALSE(read_tree_block_eb(fs, env.block.bytenr, env.block.generation, env.block.level + 1, &err));
      CHECK(err == -EUCLEAN);
    });
    require_clean(r.ex);
  }
  SECTION("nothing written there") {
    // The last block of the metadata chunk holding the extent root: mapped, never written by mkfs.
    map_lookup_ptr chunk = btrfs_get_chunk_map(*env.prepared, env.block.bytenr);
    REQUIRE(chunk);
    const uint64_t hole = chunk->start + chunk->length - env.prepared->nodesize;
    REQUIRE_FALSE(env.prepared->buffer_radix.find(hole));
    auto r = env.run([&](btrfs_fs_info& fs) {
      int err = 0;
      CHECK_FALSE(read_tree_block_eb(fs, hole, 0, 0, &err));
      CHECK(err == -EIO);
    });
    require_clean(r.ex);
    CHECK(r.fs->dmesg.back().find("bad tree block start, want " + std::to_string(hole) + " have 0") !=
          std::string::npos);
  }
}

TEST_CASE("extent_io: a copy of the state is independent of the original", "[model][extent_io]") {
  eb_env env;
  auto r = env.run([&](btrfs_fs_info& fs) { readahead_tree_block(fs, env.block.bytenr); });
  require_clean(r.ex);
  btrfs_fs_info copy(*r.fs);
  extent_buffer_ptr original = r.fs->eb_tree.at(env.block.bytenr >> PAGE_SHIFT);
  extent_buffer_ptr copied = copy.eb_tree.at(env.block.bytenr >> PAGE_SHIFT);
  REQUIRE(copied != original);
  CHECK(copied == copy.allocated_ebs.at(copied->id));
  copied->refs = 7;
  copy.btree_pages.at(copied->pages[0])->uptodate = false;
  CHECK(original->refs == 1);
  CHECK(r.fs->btree_pages.at(original->pages[0])->uptodate);
}
