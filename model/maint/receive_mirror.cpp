#include "model/maint/receive_mirror.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "model/probe_index.hpp"

namespace fsrace::model {
namespace {

// Whether two files' contents were found equal (their common prefix: what compare_received compares),
// by the payload ids of their cow_vectors: an id names one content (cow_vector.hpp: a change always
// takes a new id from a process-wide counter, never reused), so the memcmp of two contents whose ids
// compared equal before is equal again. Per thread, got's id -> the last want id it equalled; cleared
// when large. Only looked up (probe_index has no iteration). A received subvolume that shares its
// parent's unchanged files, compared with a snapshot whose unchanged files keep their content payloads
// (subvol_content's cache), compares only the files an execution changed.
struct equal_content_memo {
  probe_index<uint64_t, uint64_t> equal;
  bool known(uint64_t got, uint64_t want) const {
    const uint64_t* w = equal.find(got);
    return w && *w == want;
  }
  void remember(uint64_t got, uint64_t want) {
    if (equal.size() >= (1u << 16)) equal.clear();
    if (uint64_t* w = equal.find(got)) *w = want;
    else equal.emplace(got, want);
  }
};

constexpr uint64_t kMaxReceivedFileSize = 1ull << 32;  // a corrupt stream must not exhaust memory

struct receiver {
  received_subvol& sv;
  std::string error;

  int fail(int err, std::string msg) {
    error = std::move(msg);
    return err;
  }
  received_inode* lookup(const std::string& path) {
    auto it = sv.paths.find(path);
    return it == sv.paths.end() ? nullptr : &sv.inodes.at(it->second);
  }
  static std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
  }
  // The directory that would hold `path` exists and `path` itself does not.
  int check_new_name(const std::string& path) {
    if (path.empty()) return fail(-EEXIST, "ERROR: cannot create the top directory");
    received_inode* dir = lookup(parent_of(path));
    if (!dir || !dir->dir) return fail(-ENOENT, fmt::format("ERROR: cannot create {}: No such file or directory", path));
    if (sv.paths.count(path)) return fail(-EEXIST, fmt::format("ERROR: cannot create {}: File exists", path));
    return 0;
  }
  void drop_path(const std::string& path) {
    const uint64_t id = sv.paths.at(path);
    sv.paths.erase(path);
    for (const auto& [p, other] : sv.paths)
      if (other == id) return;  // still linked elsewhere
    sv.inodes.erase(id);
  }
  bool has_children(const std::string& dir) {
    const std::string prefix = dir + "/";
    auto it = sv.paths.lower_bound(prefix);
    return it != sv.paths.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  }

  int apply(const send_command& c) {
    switch (c.cmd) {
      case send_cmd::mkfile:
      case send_cmd::mkdir: {
        if (int r = check_new_name(c.path)) return r;
        const uint64_t id = sv.next_id++;
        sv.inodes[id].dir = c.cmd == send_cmd::mkdir;
        sv.paths[c.path] = id;
        return 0;
      }
      case send_cmd::rename: {
        if (!sv.paths.count(c.path))
          return fail(-ENOENT, fmt::format("ERROR: rename {} -> {} failed: No such file or directory", c.path, c.path_to));
        if (c.path_to.compare(0, c.path.size() + 1, c.path + "/") == 0)
          return fail(-EINVAL, fmt::format("ERROR: rename {} -> {} failed: Invalid argument", c.path, c.path_to));
        received_inode* dir = lookup(parent_of(c.path_to));
        if (!dir || !dir->dir)
          return fail(-ENOENT, fmt::format("ERROR: rename {} -> {} failed: No such file or directory", c.path, c.path_to));
        if (auto* target = lookup(c.path_to)) {  // rename(2) replaces a file or an empty directory
          if (target->dir && has_children(c.path_to))
            return fail(-ENOTEMPTY, fmt::format("ERROR: rename {} -> {} failed: Directory not empty", c.path, c.path_to));
          drop_path(c.path_to);
        }
        // Move the path and everything below it.
        std::map<std::string, uint64_t> moved;
        const std::string prefix = c.path + "/";
        for (auto it = sv.paths.begin(); it != sv.paths.end();) {
          if (it->first == c.path) moved[c.path_to] = it->second;
          else if (it->first.compare(0, prefix.size(), prefix) == 0) moved[c.path_to + it->first.substr(c.path.size())] = it->second;
          else { ++it; continue; }
          it = sv.paths.erase(it);
        }
        sv.paths.merge(moved);
        return 0;
      }
      case send_cmd::link: {
        auto src = sv.paths.find(c.path_to);
        if (src == sv.paths.end())
          return fail(-ENOENT, fmt::format("ERROR: link {} -> {} failed: No such file or directory", c.path, c.path_to));
        if (int r = check_new_name(c.path)) return r;
        sv.paths[c.path] = src->second;
        return 0;
      }
      case send_cmd::unlink:
      case send_cmd::rmdir: {
        received_inode* ino = lookup(c.path);
        const bool rmdir = c.cmd == send_cmd::rmdir;
        if (!ino || c.path.empty())
          return fail(-ENOENT, fmt::format("ERROR: {} {} failed: No such file or directory", send_cmd_name(c.cmd), c.path));
        if (ino->dir != rmdir)
          return fail(rmdir ? -ENOTDIR : -EISDIR, fmt::format("ERROR: {} {} failed: {}", send_cmd_name(c.cmd), c.path,
                                                              rmdir ? "Not a directory" : "Is a directory"));
        if (rmdir && has_children(c.path))
          return fail(-ENOTEMPTY, fmt::format("ERROR: rmdir {} failed: Directory not empty", c.path));
        drop_path(c.path);
        return 0;
      }
      case send_cmd::write:
      case send_cmd::truncate: {
        received_inode* ino = lookup(c.path);
        if (!ino) return fail(-ENOENT, fmt::format("ERROR: cannot open {}: No such file or directory", c.path));
        if (ino->dir) return fail(-EISDIR, fmt::format("ERROR: cannot open {}: Is a directory", c.path));
        const uint64_t end = c.cmd == send_cmd::write ? c.offset + c.data.size() : c.size;
        if (end > kMaxReceivedFileSize) return fail(-EFBIG, fmt::format("ERROR: {} {}: File too large", send_cmd_name(c.cmd), c.path));
        if (c.cmd == send_cmd::truncate) {
          ino->data.resize(end);
        } else {
          if (ino->data.size() < end) ino->data.resize(end);
          std::copy(c.data.begin(), c.data.end(), ino->data.begin() + c.offset);
        }
        return 0;
      }
      case send_cmd::chmod:
      case send_cmd::utimes: {
        received_inode* ino = lookup(c.path);
        if (!ino) return fail(-ENOENT, fmt::format("ERROR: {} {} failed: No such file or directory", send_cmd_name(c.cmd), c.path));
        if (c.cmd == send_cmd::chmod) ino->mode = c.size;
        return 0;
      }
      case send_cmd::subvol:
      case send_cmd::snapshot: return fail(-EINVAL, "ERROR: subvol or snapshot command in the middle of a stream");
      case send_cmd::end: return 0;
    }
    return fail(-EINVAL, "ERROR: unknown command");
  }
};

}  // namespace

int btrfs_receive(received_subvol_map& subvols, const send_stream& stream, std::string* error) {
  std::string ignored;
  std::string& err = error ? *error : ignored;
  if (stream.commands.empty() || (stream.commands.front().cmd != send_cmd::subvol &&
                                  stream.commands.front().cmd != send_cmd::snapshot)) {
    err = "ERROR: the stream does not start with a subvol or snapshot command";
    return -EINVAL;
  }
  const send_command& first = stream.commands.front();
  if (subvols.count(first.uuid)) {
    err = fmt::format("ERROR: subvolume {} (uuid {}) was already received", first.path, first.uuid);
    return -EEXIST;
  }
  received_subvol sv;
  if (first.cmd == send_cmd::snapshot) {
    auto parent = subvols.find(first.clone_uuid);
    if (parent == subvols.end() || parent->second->ctransid != first.clone_ctransid) {
      err = fmt::format("ERROR: cannot find parent subvolume (uuid {} transid {})", first.clone_uuid, first.clone_ctransid);
      return -ENOENT;
    }
    sv = *parent->second;
    sv.parent_uuid = first.clone_uuid;
  } else {
    const uint64_t id = sv.next_id++;
    sv.inodes[id].dir = true;
    sv.paths[""] = id;
  }
  sv.name = first.path;
  sv.uuid = first.uuid;
  sv.ctransid = first.ctransid;
  receiver r{sv, {}};
  bool ended = false;
  for (size_t i = 1; i < stream.commands.size(); ++i) {
    const send_command& c = stream.commands[i];
    if (ended) {
      err = fmt::format("ERROR: command {} after the end of the stream", describe(c));
      return -EINVAL;
    }
    ended = c.cmd == send_cmd::end;
    if (int ret = r.apply(c)) {
      err = fmt::format("{} (command {}: {})", r.error, i, describe(c));
      return ret;
    }
  }
  if (!ended) {
    err = "ERROR: the stream ended without an end command";
    return -EINVAL;
  }
  subvols.emplace(sv.uuid, std::move(sv));
  return 0;
}

std::vector<std::string> compare_received(const received_subvol& got, const received_subvol& want) {
  thread_local equal_content_memo memo;
  std::vector<std::string> out, extra;
  // Both path maps in one ordered pass (the same order as a lookup of each wanted path, then a pass over
  // the received ones for those not wanted: their lines go after the others).
  auto g = got.paths.begin();
  for (const auto& [path, id] : want.paths) {
    int order = 1;  // g's path against `path` (one comparison of the two strings per step)
    for (; g != got.paths.end() && (order = g->first.compare(path)) < 0; ++g)
      extra.push_back(fmt::format("{} was received but is not in the snapshot", g->first));
    const std::string shown = path.empty() ? "(top directory)" : path;
    if (g == got.paths.end() || order != 0) {
      out.push_back(fmt::format("{} is missing from the received subvolume", shown));
      continue;
    }
    const uint64_t got_id = g->second;
    ++g;
    const received_inode& w = want.inodes.at(id);
    const received_inode& r = got.inodes.at(got_id);
    if (w.dir != r.dir) {
      out.push_back(fmt::format("{} was received as a {} but is a {}", shown, r.dir ? "directory" : "file",
                                w.dir ? "directory" : "file"));
      continue;
    }
    if (w.mode != r.mode) out.push_back(fmt::format("{}: mode {:o} received, {:o} expected", shown, r.mode, w.mode));
    if (w.dir) continue;
    if (w.data.size() != r.data.size())
      out.push_back(fmt::format("{}: size {} received, {} expected", shown, r.data.size(), w.data.size()));
    const size_t common = std::min(w.data.size(), r.data.size());
    if (common == 0 || memo.known(r.data.payload_id(), w.data.payload_id())) continue;
    if (std::memcmp(w.data.data(), r.data.data(), common) == 0) {  // the usual case, vectorised
      memo.remember(r.data.payload_id(), w.data.payload_id());
      continue;
    }
    auto diff = std::mismatch(w.data.begin(), w.data.begin() + common, r.data.begin());
    out.push_back(fmt::format("{}: content differs from offset {}", shown, diff.first - w.data.begin()));
  }
  for (; g != got.paths.end(); ++g) extra.push_back(fmt::format("{} was received but is not in the snapshot", g->first));
  out.insert(out.end(), std::make_move_iterator(extra.begin()), std::make_move_iterator(extra.end()));
  return out;
}

}  // namespace fsrace::model
