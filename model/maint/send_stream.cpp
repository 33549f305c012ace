#include "model/maint/send_stream.hpp"

#include <fmt/format.h>

namespace fsrace::model {

const char* send_cmd_name(send_cmd c) {
  switch (c) {
    case send_cmd::subvol: return "subvol";
    case send_cmd::snapshot: return "snapshot";
    case send_cmd::mkfile: return "mkfile";
    case send_cmd::mkdir: return "mkdir";
    case send_cmd::rename: return "rename";
    case send_cmd::link: return "link";
    case send_cmd::unlink: return "unlink";
    case send_cmd::rmdir: return "rmdir";
    case send_cmd::write: return "write";
    case send_cmd::truncate: return "truncate";
    case send_cmd::chmod: return "chmod";
    case send_cmd::utimes: return "utimes";
    case send_cmd::end: return "end";
  }
  return "?";
}

uint64_t send_stream::bytes_written() const {
  uint64_t n = 0;
  for (const auto& c : commands)
    if (c.cmd == send_cmd::write) n += c.data.size();
  return n;
}

std::string describe(const send_command& c) {
  const char* name = send_cmd_name(c.cmd);
  switch (c.cmd) {
    case send_cmd::subvol: return fmt::format("{} {} uuid={} transid={}", name, c.path, c.uuid, c.ctransid);
    case send_cmd::snapshot:
      return fmt::format("{} {} uuid={} transid={} parent_uuid={} parent_transid={}", name, c.path, c.uuid, c.ctransid,
                         c.clone_uuid, c.clone_ctransid);
    case send_cmd::mkfile:
    case send_cmd::mkdir: return fmt::format("{} {} ino={}", name, c.path, c.ino);
    case send_cmd::rename: return fmt::format("{} {} dest={}", name, c.path, c.path_to);
    case send_cmd::link: return fmt::format("{} {} dest={}", name, c.path, c.path_to);
    case send_cmd::write: return fmt::format("{} {} offset={} len={}", name, c.path, c.offset, c.data.size());
    case send_cmd::truncate: return fmt::format("{} {} size={}", name, c.path, c.size);
    case send_cmd::chmod: return fmt::format("{} {} mode={:o}", name, c.path, c.size);
    case send_cmd::end: return name;
    default: return fmt::format("{} {}", name, c.path);
  }
}

}  // namespace fsrace::model
