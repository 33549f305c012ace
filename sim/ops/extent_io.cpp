// The extent_io family: operations on the extent buffer cache of the btree inode (model/extent_io/):
// readahead and synchronous reads of a tree block, page reclaim of its pages, eviction for set-up,
// and the end-of-run invariant that every extent buffer is back to rest.
#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/extent_io/extent_io.hpp"
#include "model/extent_io/tree_block_locator.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "scheduler/footprint.hpp"
#include "sim/binding.hpp"

namespace fsrace::sim {
namespace {

const std::vector<std::string> kTreeNames{"root", "extent", "chunk", "dev", "fs", "csum"};

uint64_t tree_objectid(const std::string& name) {
  if (name == "root") return model::BTRFS_ROOT_TREE_OBJECTID;
  if (name == "extent") return model::BTRFS_EXTENT_TREE_OBJECTID;
  if (name == "chunk") return model::BTRFS_CHUNK_TREE_OBJECTID;
  if (name == "dev") return model::BTRFS_DEV_TREE_OBJECTID;
  if (name == "fs") return model::BTRFS_FS_TREE_OBJECTID;
  if (name == "csum") return model::BTRFS_CSUM_TREE_OBJECTID;
  throw tool_error(fmt::format("extent_io: unknown tree name '{}' passed validation", name));
}

// The "block" parameters every op of the family takes.
op_builder block_params(op_builder op) {
  return op.choice("tree", kTreeNames, "the tree holding the block (its current root)")
      .integer("level", "the block's level; -1 = the tree's root block")
      .optional(-1)
      .range(-1, model::BTRFS_MAX_LEVEL - 1)
      .integer("index", "which block of that level, 0-based in key order")
      .optional(0)
      .range(0, 1 << 20);
}

// Resolved when the op starts (no scheduling point). A block the tree does not have is an error in
// the scenario, reported with the op's JSON path.
model::located_tree_block resolve_block(exec_context& ctx, const params& p) {
  // Complete: the tree's root (fs_info.roots, root.node) and the blocks above the target in buffer_radix
  // (every writer of either claims every Tree written), else on a mirror: the chunk mapping
  // (btrfs_get_chunk_map), the devices (fs_info.dev, fs_info.device) and their contents; all read.
  sched::FootprintScope scope(sched::declared()
                                  .touch_kind(sched::ObjectKind::Tree, false)
                                  .reads_from(model::fp::chunk_map())
                                  .touch_kind(sched::ObjectKind::Device, false)
                                  .touch_kind(sched::ObjectKind::DeviceData, false));
  model::located_tree_block block;
  std::string why;
  if (!model::locate_tree_block(ctx.fs(), tree_objectid(p.text("tree")), int(p.integer("level")),
                                uint64_t(p.integer("index")), &block, &why))
    throw std::runtime_error(fmt::format("{}: no such tree block: {}", ctx.call().path, why));
  return block;
}

std::vector<std::string> check_extent_buffers_at_rest(const check_context& ctx, const params&) {
  const model::btrfs_fs_info& fs = ctx.fs();
  std::vector<std::string> problems;
  for (const auto& [index, p] : fs.btree_pages) {
    if (p->locked) problems.push_back(fmt::format("btree page {} is still locked", index));
    if (p->private_eb && !fs.allocated_ebs.contains(p->private_eb))
      problems.push_back(fmt::format("btree page {} private points to freed extent buffer #{}", index, p->private_eb));
  }
  for (const auto& [id, eb] : fs.allocated_ebs) {
    const std::string what = fmt::format("extent buffer {} (refs {}, io_pages {}, bflags {})", eb->start, eb->refs,
                                          eb->io_pages, model::describe_bflags(eb->bflags));
    if (eb->io_pages != 0) problems.push_back(what + ": IO still counted");
    auto it = fs.eb_tree.find(eb->start >> model::PAGE_SHIFT);
    if (it == fs.eb_tree.end() || it->second != eb)
      problems.push_back(what + ": allocated but not in the radix tree (leaked)");
    else if (!eb->test_bit(model::EXTENT_BUFFER_TREE_REF) || eb->refs != 1)
      problems.push_back(what + ": a reference besides the tree's is left (leaked), or the tree's is missing");
  }
  return problems;
}

}  // namespace

void register_extent_io_ops(catalogue& cat) {
  block_params(cat.add_op("readahead_tree_block", "extent_io",
                          "readahead_tree_block (disk-io.c): find or create the block's extent buffer, start reading "
                          "its pages without waiting (read_extent_buffer_pages WAIT_NONE: gives up on a locked page) "
                          "and drop the reference at once, as reada_for_search does",
                          [](exec_context& ctx, const params& p) {
                            // resolve_block and readahead_tree_block open their own scopes.
                            const uint64_t bytenr = resolve_block(ctx, p).bytenr;
                            model::readahead_tree_block(ctx.fs(), bytenr);
                            return 0;
                          })
                   .declares_footprint());
  block_params(cat.add_op("read_tree_block", "extent_io",
                          "read_tree_block (disk-io.c) on extent buffers: read the block and wait (WAIT_COMPLETE), "
                          "check its generation against the parent pointer and its level, try every mirror, then "
                          "drop the reference; -EIO or -EUCLEAN when no mirror verifies",
                          [](exec_context& ctx, const params& p) {
                            const model::located_tree_block b = resolve_block(ctx, p);
                            // resolve_block, read_tree_block_eb and free_extent_buffer open their own scopes.
                            int err = 0;
                            model::extent_buffer_ptr eb =
                                model::read_tree_block_eb(ctx.fs(), b.bytenr, b.generation, b.level, &err);
                            if (!eb) return err;
                            model::free_extent_buffer(ctx.fs(), eb);
                            return 0;
                          })
                   .declares_footprint());
  block_params(cat.add_op("reclaim_tree_block_pages", "extent_io",
                          "page reclaim (shrink_page_list) of the block's pages in the btree inode: for each page, "
                          "trylock_page, btree_releasepage (try_release_extent_buffer frees the buffer when only the "
                          "tree holds it and it is not under IO), remove it from the page cache, unlock_page",
                          [](exec_context& ctx, const params& p) {
                            const model::located_tree_block b = resolve_block(ctx, p);
                            const uint64_t first = b.bytenr >> model::PAGE_SHIFT;
                            const uint64_t count = ctx.fs().nodesize >> model::PAGE_SHIFT;
                            const int64_t page = p.integer("page");
                            if (page >= int64_t(count))
                              throw std::runtime_error(fmt::format("{}: page {} of a block of {} pages",
                                                                   ctx.call().path, page, count));
                            // resolve_block and shrink_btree_page open their own scopes; nodesize is fixed.
                            for (uint64_t i = 0; i < count; ++i)
                              if (page < 0 || uint64_t(page) == i) model::shrink_btree_page(ctx.fs(), first + i);
                            return 0;
                          })
                   .declares_footprint())
      .integer("page", "which page of the block (0-based); -1 = every page in order")
      .optional(-1)
      .range(-1, 15);
  block_params(cat.add_op("evict_tree_block", "extent_io",
                          "drop the block from memory (reclaim of all its pages) so the next extent buffer read of it "
                          "goes to a disk; -EBUSY when it stays (referenced, dirty or under IO)",
                          [](exec_context& ctx, const params& p) {
                            return model::evict_tree_block(ctx.fs(), resolve_block(ctx, p).bytenr);
                          }));

  cat.add_invariant("extent_buffers_at_rest", "extent_io",
                    "After every thread ended: no btree page is locked or points to a freed extent buffer, no extent "
                    "buffer counts IO, and every live extent buffer is in the radix tree holding exactly the tree's "
                    "reference (no leaked reference). Holds vacuously when no operation touched the buffer cache.",
                    check_extent_buffers_at_rest)
      .on_by_default();
}

}  // namespace fsrace::sim
