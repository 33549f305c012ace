#include "model/data/data_check.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/data/data_oracle.hpp"
#include "model/data/inode.hpp"
#include "model/data/read.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {

std::vector<std::string> btrfs_check_data_against_oracle(const btrfs_fs_info& fs_info) {
  std::vector<std::string> problems;
  // The read path takes a mutable fs_info for the tree lookups it shares with fibers; outside fibers it
  // reaches no scheduling point and changes nothing (reads devices directly, no repair writes).
  auto& fs = const_cast<btrfs_fs_info&>(fs_info);
  for (const auto& [key, file] : fs_info.oracle.files) {
    const btrfs_inode* inode = btrfs_iget_const(fs_info, key.first, key.second);
    if (!inode || inode->evicted) {
      problems.push_back(fmt::format("lost file: {} (root {} ino {}) is gone", file->name, key.first, key.second));
      continue;
    }
    if (inode->i_size != file->size) {
      problems.push_back(fmt::format("file {} (ino {}): size {}, expected {} (set by {})", file->name, inode->ino,
                                     inode->i_size, file->size,
                                     file->size_op < fs_info.oracle.ops.size() ? fs_info.oracle.ops[file->size_op] : "?"));
      continue;
    }
    const uint64_t span = round_up_page(file->size);
    std::vector<uint8_t> got(span, 0);
    // Dirty or writeback pages are what a read returns; everything else comes from disk (as after
    // dropping the page cache), so data lost below a clean cached page is still found.
    for (uint64_t pos = 0; pos < span;) {
      const uint64_t idx = page_index(pos);
      auto pg = inode->mapping.pages.find(idx);
      if (pg != inode->mapping.pages.end() && (pg->second.dirty || pg->second.writeback)) {
        if (pg->second.data) std::copy(pg->second.data->begin(), pg->second.data->end(), got.begin() + pos);
        pos += PAGE_SIZE;
        continue;
      }
      uint64_t run_end = pos + PAGE_SIZE;
      while (run_end < span) {
        auto next = inode->mapping.pages.find(page_index(run_end));
        if (next != inode->mapping.pages.end() && (next->second.dirty || next->second.writeback)) break;
        run_end += PAGE_SIZE;
      }
      auto r = btrfs_read_file_extents(fs, *inode, pos, std::span(got).subspan(pos, run_end - pos), false);
      if (r.err) {
        problems.push_back(fmt::format("lost data: file {} (ino {}) offset {}: read fails ({}), expected {}", file->name,
                                       inode->ino, r.bad_offset, r.detail,
                                       oracle_describe_sector(fs_info, key.first, key.second, page_index(r.bad_offset))));
        // Compare the rest after the failing sector.
        const uint64_t bad_end = round_up_page(r.bad_offset + 1);
        std::vector<uint8_t> want(PAGE_SIZE);
        oracle_expected(fs_info, key.first, key.second, round_down_page(r.bad_offset), want);
        std::copy(want.begin(), want.end(), got.begin() + round_down_page(r.bad_offset));
        pos = bad_end;
        continue;
      }
      pos = run_end;
    }
    got.resize(file->size);
    for (auto& line : oracle_compare(fs_info, *inode, 0, got, nullptr)) problems.push_back(std::move(line));
  }
  return problems;
}

}  // namespace fsrace::model
