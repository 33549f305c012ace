// The send stream (fs/btrfs/send.h): the commands btrfs send writes to user space and btrfs receive
// replays. Paths are relative to the received subvolume, as in the real protocol. The model keeps
// the commands as values instead of the TLV encoding; describe() prints one like `btrfs receive --dump`.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fsrace::model {

enum class send_cmd : uint8_t {
  subvol,    // BTRFS_SEND_C_SUBVOL: path, uuid, ctransid (full send)
  snapshot,  // BTRFS_SEND_C_SNAPSHOT: path, uuid, ctransid, clone_uuid, clone_ctransid (incremental)
  mkfile,    // BTRFS_SEND_C_MKFILE: path, ino
  mkdir,     // BTRFS_SEND_C_MKDIR: path, ino
  rename,    // BTRFS_SEND_C_RENAME: path, path_to
  link,      // BTRFS_SEND_C_LINK: path (new name), path_link (existing)
  unlink,    // BTRFS_SEND_C_UNLINK: path
  rmdir,     // BTRFS_SEND_C_RMDIR: path
  write,     // BTRFS_SEND_C_WRITE: path, file_offset, data
  truncate,  // BTRFS_SEND_C_TRUNCATE: path, size
  chmod,     // BTRFS_SEND_C_CHMOD: path, mode
  utimes,    // BTRFS_SEND_C_UTIMES: path (times are not modelled; the command marks the inode finished)
  end,       // BTRFS_SEND_C_END
};
const char* send_cmd_name(send_cmd c);

struct send_command {
  send_cmd cmd = send_cmd::end;
  std::string path, path_to;      // path_to: rename target / link target (existing path)
  uint64_t ino = 0;               // mkfile / mkdir
  uint64_t offset = 0, size = 0;  // write offset / truncate size / chmod mode
  uint64_t uuid = 0, ctransid = 0, clone_uuid = 0, clone_ctransid = 0;  // subvol / snapshot
  std::vector<uint8_t> data;      // write
};

// What btrfs send wrote into its output (the pipe or the -f file). Subvolume uuids are modelled by
// root objectids.
struct send_stream {
  std::vector<send_command> commands;
  uint64_t send_root = 0, parent_root = 0;
  uint64_t bytes_written() const;  // data bytes of the WRITE commands
};
using send_stream_ptr = std::shared_ptr<const send_stream>;

std::string describe(const send_command& c);  // "write a offset=0 len=4096"

}  // namespace fsrace::model
