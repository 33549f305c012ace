#include "model/maint/receive.hpp"

#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "model/maint/send_read.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t S_IFMT = 0170000, S_IFDIR = 0040000;

struct content_inode {
  btrfs_inode_item ii;
  bool has_item = false;
  std::vector<std::pair<uint64_t, std::string>> refs;  // (dir, name)
  std::vector<std::pair<uint64_t, btrfs_file_extent_item>> extents;
};

bool resolve_path(const std::map<uint64_t, content_inode>& inodes, uint64_t dir, const std::string& name,
                  std::string* out) {
  std::string path = name;
  for (int depth = 0; dir != BTRFS_FIRST_FREE_OBJECTID; ++depth) {
    auto it = inodes.find(dir);
    if (depth > 64 || it == inodes.end() || it->second.refs.empty()) return false;
    path = it->second.refs.front().second + "/" + path;
    dir = it->second.refs.front().first;
  }
  *out = path;
  return true;
}

}  // namespace

received_subvol btrfs_subvol_content(const btrfs_fs_info& fs_info_const, uint64_t root_objectid,
                                     std::vector<std::string>* problems) {
  // Only reads; the tree and device accessors take a non-const fs_info.
  auto& fs_info = const_cast<btrfs_fs_info&>(fs_info_const);
  received_subvol sv;
  auto rit = fs_info.roots.find(root_objectid);
  if (rit == fs_info.roots.end()) {
    if (problems) problems->push_back(fmt::format("subvolume {} does not exist", root_objectid));
    return sv;
  }
  std::map<uint64_t, content_inode> inodes;
  btrfs_for_each_item(fs_info, *rit->second, {BTRFS_FIRST_FREE_OBJECTID, 0, 0}, [&](const btrfs_item& it) {
    content_inode& ci = inodes[it.key.objectid];
    if (it.key.type == BTRFS_INODE_ITEM_KEY) {
      ci.ii = std::get<btrfs_inode_item>(it.value);
      ci.has_item = true;
    } else if (it.key.type == BTRFS_INODE_REF_KEY) {
      ci.refs.emplace_back(it.key.offset, std::get<btrfs_inode_ref>(it.value).name);
    } else if (it.key.type == BTRFS_EXTENT_DATA_KEY) {
      ci.extents.emplace_back(it.key.offset, std::get<btrfs_file_extent_item>(it.value));
    }
    return true;
  });
  for (auto& [ino, ci] : inodes) {
    if (!ci.has_item) continue;
    const uint64_t id = sv.next_id++;
    received_inode& ri = sv.inodes[id];
    ri.dir = (ci.ii.mode & S_IFMT) == S_IFDIR;
    ri.mode = ci.ii.mode & 07777;
    if (ino == BTRFS_FIRST_FREE_OBJECTID) {
      sv.paths[""] = id;
      continue;
    }
    for (const auto& [dir, name] : ci.refs) {
      std::string path;
      if (resolve_path(inodes, dir, name, &path)) sv.paths[path] = id;
      else if (problems) problems->push_back(fmt::format("inode {} of subvolume {}: no path to '{}'", ino, root_objectid, name));
    }
    if (ri.dir) continue;
    ri.data.assign(ci.ii.size, 0);
    for (const auto& [off, fe] : ci.extents) {
      if (fe.type != BTRFS_FILE_EXTENT_REG || fe.disk_bytenr == 0 || off >= ci.ii.size) continue;
      const uint64_t len = std::min(fe.num_bytes, ci.ii.size - off);
      const uint64_t logical = fe.disk_bytenr + fe.offset;
      const int ret = send_read_logical(fs_info, logical, len, ri.data.data() + off);
      if (ret && problems)
        problems->push_back(fmt::format("inode {} of subvolume {}: data at logical {} unreadable ({})", ino,
                                        root_objectid, logical, ret));
    }
  }
  return sv;
}

std::vector<std::string> btrfs_check_received(const btrfs_fs_info& fs_info) {
  std::vector<std::string> out;
  for (const auto& [uuid, got] : fs_info.received_subvols) {
    std::vector<std::string> problems;
    received_subvol want = btrfs_subvol_content(fs_info, uuid, &problems);
    for (const auto& p : problems) out.push_back(fmt::format("cannot read the sent snapshot {}: {}", got->name, p));
    for (const auto& d : compare_received(got, want))
      out.push_back(fmt::format("send stream differs from the snapshot: {}: {}", got->name, d));
  }
  return out;
}

int btrfs_receive_stream(btrfs_fs_info& fs_info, const std::string& stream_name) {
  auto it = fs_info.send_streams.find(stream_name);
  if (it == fs_info.send_streams.end()) {
    // The send that should have written it failed or was turned away: btrfs receive reads an empty
    // stream (btrfs-progs: "empty stream is not considered valid", ENODATA from the stream reader).
    fs_info.log(fmt::format("receive: ERROR: empty stream is not considered valid (no stream named '{}' was sent)",
                            stream_name));
    return -ENODATA;
  }
  std::string error;
  int ret = btrfs_receive(fs_info.received_subvols, *it->second, &error);
  if (ret) fs_info.log(fmt::format("receive: {}", error));
  return ret;
}

}  // namespace fsrace::model
