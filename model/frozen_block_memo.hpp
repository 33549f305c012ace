// Whether a tree block of a frozen base (cow_map::find's `frozen`: the prepared state's, shared by every
// execution's clone) passed a check of the block alone, kept per thread: the checks at the end of each
// execution verify every block of every tree, most of them the prepared state's, which no execution
// changes. The memo holds each block it names (a shared block is never changed in place: mut_block and
// the commit's writeback copy a block another pointer holds), so its address names the same unchanged
// block while the entry exists. Only blocks that passed are kept, with the `tag` they passed under (the
// check's parameters, e.g. the nodesize): a block not kept, or kept under another tag, is checked in
// full. Looked up only, never iterated; cleared whole at its bound. Blocks an execution made are never
// kept (keeping them alive past the execution costs the allocator more than the check).
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>

#include "model/tree_block.hpp"

namespace fsrace::model {

class frozen_block_memo {
 public:
  bool passed(const tree_block_ptr& b, uint64_t tag) const {
    auto it = kept_.find(b.get());
    return it != kept_.end() && it->second.second == tag;
  }
  void pass(const tree_block_ptr& b, uint64_t tag) {
    if (kept_.size() >= kBound) kept_.clear();
    kept_.insert_or_assign(b.get(), std::make_pair(b, tag));
  }

 private:
  static constexpr size_t kBound = 1 << 14;
  std::unordered_map<const tree_block*, std::pair<tree_block_ptr, uint64_t>> kept_;
};

}  // namespace fsrace::model
