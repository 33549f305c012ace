// The end-of-execution data check: every file the oracle knows is read through the model's read path
// (dirty pages from the page cache, everything else from disk through its file extent items, with
// checksums) and compared with the oracle. Runs outside fibers: no scheduling points.
#pragma once
#include <string>
#include <vector>

namespace fsrace::model {

struct btrfs_fs_info;

// One line per problem: lost or corrupted data naming file, offset and the operation that last wrote
// it; empty when every file reads back what user space wrote.
std::vector<std::string> btrfs_check_data_against_oracle(const btrfs_fs_info& fs_info);

}  // namespace fsrace::model
