// The receiving side of send (btrfs-progs cmds/receive.c) as an in-memory mirror: each received
// subvolume is a set of paths naming inodes with their content. Pure user-space code: no
// filesystem, no scheduling points.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/cow_value.hpp"
#include "model/cow_vector.hpp"
#include "model/maint/send_stream.hpp"

namespace fsrace::model {

struct received_inode {
  bool dir = false;
  uint64_t mode = 0;
  // A file's content; its size is the file size. Copy on write: receive of an incremental stream copies
  // its parent's subvolume, and only the files the stream writes get their own data.
  cow_vector<uint8_t> data;
};

struct received_subvol {
  std::string name;
  uint64_t uuid = 0, ctransid = 0;  // received_uuid / stransid: the sent snapshot
  uint64_t parent_uuid = 0;         // the parent an incremental stream was applied on (0: full)
  std::map<std::string, uint64_t> paths;       // path -> inode id ("" is the subvolume's top directory)
  std::map<uint64_t, received_inode> inodes;   // by receiver-side inode id
  uint64_t next_id = 1;
};

// Received subvolumes by uuid. Each is copy on write: a clone of the filesystem shares the ones the
// prepared state received, and receive adds a new one without changing any other.
using received_subvol_map = std::map<uint64_t, cow_value<received_subvol>>;

// btrfs receive: applies `stream` to `subvols` (by uuid). A full stream (SUBVOL) creates a new
// subvolume; an incremental one (SNAPSHOT) starts from a copy of the received parent. Returns 0, or
// a negative errno with `error` set the way receive reports it ("ERROR: cannot open a/b: No such file
// or directory"); on error `subvols` is left unchanged.
int btrfs_receive(received_subvol_map& subvols, const send_stream& stream, std::string* error);

// Differences between what was received and what it should be, one line each (empty when equal).
std::vector<std::string> compare_received(const received_subvol& got, const received_subvol& want);

}  // namespace fsrace::model
