#include "model/extent_io/eb_materialize.hpp"

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

extent_buffer_ptr materialize_dirty_extent_buffer(btrfs_fs_info& fs_info, uint64_t start) {
  // Complete: the transaction's dirty tree blocks and the block's content in buffer_radix, read (every
  // writer of buffer_radix claims every Tree written: tree_fill_claim, tree_write_claim, the commit).
  sched::FootprintScope scope(sched::declared()
                                  .reads_from(fp::transaction())
                                  .touch_kind(sched::ObjectKind::Tree, false)
                                  .reads_from(fp::extent_buffer(start)));
  if (!fs_info.dirty_tree_blocks.contains(start)) return nullptr;
  const tree_block_ptr* content = fs_info.buffer_radix.find(start);
  if (!content || !*content) return nullptr;
  // Complete: the new buffer, its eb_tree slot and allocated_ebs entry, its pages (created or taken,
  // private and refcount set) and the allocator (next_eb_id: fp::btree_inode).
  sched::FootprintScope create(ebfp::buffer_and_pages(fs_info, start, true).writes_to(fp::btree_inode()));
  FSRACE_MODEL_CHECK(!fs_info.eb_tree.contains(start >> PAGE_SHIFT), "eb {} already in eb_tree", start);

  auto eb = std::make_shared<extent_buffer>();
  eb->id = fs_info.next_eb_id++;
  eb->start = start;
  eb->len = fs_info.nodesize;
  eb->refs = 1;  // the tree reference
  eb->block = *content;
  eb->set_bit(EXTENT_BUFFER_UPTODATE);
  eb->set_bit(EXTENT_BUFFER_DIRTY);
  eb->set_bit(EXTENT_BUFFER_TREE_REF);
  eb->set_bit(EXTENT_BUFFER_IN_TREE);
  for (uint64_t index = start >> PAGE_SHIFT; index < (start + eb->len) >> PAGE_SHIFT; ++index) {
    auto& slot = fs_info.btree_pages[index];
    FSRACE_MODEL_CHECK(!slot || slot->private_eb == 0, "btree page {} of dirty block {} belongs to another buffer", index,
                  start);
    if (!slot) {
      slot = std::make_shared<btree_page>();
      slot->index = index;
      slot->refcount = 1;  // the page cache's
    }
    slot->uptodate = true;
    slot->dirty = true;
    slot->private_eb = eb->id;
    slot->refcount += 2;  // the buffer's and page private's
    eb->pages.push_back(index);
  }
  fs_info.allocated_ebs.emplace(eb->id, eb);
  fs_info.eb_tree.emplace(start >> PAGE_SHIFT, eb);
  return eb;
}

}  // namespace fsrace::model
