#include "model/data/sector_csum_memo.hpp"

#include "model/data/csum.hpp"
#include "model/identity_memo.hpp"

namespace fsrace::model {

uint32_t sector_data_csum(const std::shared_ptr<const std::vector<uint8_t>>& data) {
  thread_local identity_memo<std::vector<uint8_t>, uint32_t, 4096> memo;
  return memo.get(data, [](const std::vector<uint8_t>& bytes) { return btrfs_csum_sector(bytes); });
}

}  // namespace fsrace::model
