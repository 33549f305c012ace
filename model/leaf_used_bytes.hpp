// tree_block::leaf_used_bytes is memoised per content of the items (tree_block.cpp); a tree operation
// that knows what it changed tells the memo the new sum (the sum before plus the difference) instead of
// having every item summed again at its overflow check.
#pragma once
#include <cstdint>

#include "model/tree_block.hpp"

namespace fsrace::model {

// The sum of `leaf`'s item headers and item sizes as its items are now. Only for a leaf whose items no
// one is changing (the note is keyed on the items' current payload id).
void note_leaf_used_bytes(const tree_block& leaf, uint32_t bytes);

}  // namespace fsrace::model
