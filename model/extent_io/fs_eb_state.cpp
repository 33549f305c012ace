#include "model/extent_io/fs_eb_state.hpp"

#include "scheduler/finding.hpp"

namespace fsrace::model {

btrfs_fs_eb_state::btrfs_fs_eb_state(const btrfs_fs_eb_state& other)
    : next_eb_id(other.next_eb_id),
      freed_ebs(other.freed_ebs),
      buffer_lock(other.buffer_lock),
      btree_private_lock(other.btree_private_lock) {
  for (const auto& [index, p] : other.btree_pages) btree_pages.emplace(index, std::make_shared<btree_page>(*p));
  for (const auto& [id, eb] : other.allocated_ebs) allocated_ebs.emplace(id, std::make_shared<extent_buffer>(*eb));
  for (const auto& [index, eb] : other.eb_tree) {
    auto it = allocated_ebs.find(eb->id);
    FSRACE_MODEL_CHECK(it != allocated_ebs.end(), "eb_tree holds freed extent buffer {} (start {})", eb->id, eb->start);
    eb_tree.emplace(index, it->second);
  }
}

}  // namespace fsrace::model
