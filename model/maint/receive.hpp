// Checks of what `btrfs receive` built against the subvolume that was sent: the expected mirror of
// a subvolume is read from its current tree (paths from INODE_REFs, sizes and modes from INODE_ITEMs,
// data through the file extent items and btrfs_map_block). Runs outside fibers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/maint/receive_mirror.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// The content of subvolume `root_objectid` as a received mirror would have it. Problems reading it
// (a tree block or data that cannot be read) go to `problems`.
received_subvol btrfs_subvol_content(const btrfs_fs_info& fs_info, uint64_t root_objectid,
                                     std::vector<std::string>* problems);

// Every received subvolume compared with the snapshot it was sent from; one line per difference,
// "send stream differs from the snapshot: <name>: ...".
std::vector<std::string> btrfs_check_received(const btrfs_fs_info& fs_info);

// receive of a stored stream into fs_info->received_subvols (what `btrfs receive` does with the
// file send wrote). 0 or a negative errno with the error in the log; -ENODATA when no stream of that
// name was written (the send failed or was turned away: an empty stream).
int btrfs_receive_stream(btrfs_fs_info& fs_info, const std::string& stream_name);

}  // namespace fsrace::model
