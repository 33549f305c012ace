#include "model/maint/dev_replace_map.hpp"

namespace fsrace::model {

// No device replace is modelled yet: nothing to duplicate.
void btrfs_dev_replace_dup_stripes(btrfs_fs_info&, map_op, uint64_t, std::vector<btrfs_bio_stripe>&) {}

}  // namespace fsrace::model
