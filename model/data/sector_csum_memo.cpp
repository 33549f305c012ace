#include "model/data/sector_csum_memo.hpp"

#include <unordered_map>
#include <utility>

#include "model/data/csum.hpp"

namespace fsrace::model {

namespace {
using sector_bytes = std::shared_ptr<const std::vector<uint8_t>>;
using memo_map = std::unordered_map<const std::vector<uint8_t>*, std::pair<sector_bytes, uint32_t>>;
// Two generations: entries found in the old one move to the current one; when the current one is full
// it becomes the old one (what was not used since is dropped). The sectors every check reads (those of
// the prepared state, shared by every execution) stay; those an execution wrote go with it.
constexpr size_t kGeneration = 4096;
}  // namespace

uint32_t sector_data_csum(const sector_bytes& data) {
  thread_local memo_map current, old;
  if (auto it = current.find(data.get()); it != current.end()) return it->second.second;
  uint32_t c;
  if (auto it = old.find(data.get()); it != old.end()) {
    c = it->second.second;
  } else {
    c = btrfs_csum_sector(*data);
  }
  if (current.size() >= kGeneration) {
    old = std::move(current);
    current = memo_map();
  }
  current.emplace(data.get(), std::make_pair(data, c));
  return c;
}

}  // namespace fsrace::model
