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
    // In chunks small enough for the allocator to recycle (a fresh mmap per file costs page faults).
    constexpr uint64_t kChunk = 16 * PAGE_SIZE;
    const uint64_t span = round_up_page(file->size);
    std::vector<uint8_t> got;
    for (uint64_t chunk = 0; chunk < span; chunk += kChunk) {
      const uint64_t chunk_end = std::min(span, chunk + kChunk);
      got.assign(chunk_end - chunk, 0);
      // Dirty or writeback pages are what a read returns; everything else comes from disk (as after
      // dropping the page cache), so data lost below a clean cached page is still found.
      for (uint64_t pos = chunk; pos < chunk_end;) {
        auto cached = [&](uint64_t at) {
          auto pg = inode->mapping.pages.find(page_index(at));
          return pg != inode->mapping.pages.end() && (pg->second.dirty || pg->second.writeback) ? &pg->second : nullptr;
        };
        if (const page* pg = cached(pos)) {
          if (pg->data) std::copy(pg->data->begin(), pg->data->end(), got.begin() + (pos - chunk));
          pos += PAGE_SIZE;
          continue;
        }
        uint64_t run_end = pos + PAGE_SIZE;
        while (run_end < chunk_end && !cached(run_end)) run_end += PAGE_SIZE;
        auto r = btrfs_read_file_extents(fs, *inode, pos, std::span(got).subspan(pos - chunk, run_end - pos), false);
        if (r.err) {
          problems.push_back(fmt::format("lost data: file {} (ino {}) offset {}: read fails ({}), expected {}", file->name,
                                         inode->ino, r.bad_offset, r.detail,
                                         oracle_describe_sector(fs_info, key.first, key.second, page_index(r.bad_offset))));
          // The failing sector is reported; compare the rest after it.
          const uint64_t bad = round_down_page(r.bad_offset);
          oracle_expected(fs_info, key.first, key.second, bad, std::span(got).subspan(bad - chunk, PAGE_SIZE));
          pos = bad + PAGE_SIZE;
          continue;
        }
        pos = run_end;
      }
      got.resize(std::min(chunk_end, file->size) - chunk);
      for (auto& line : oracle_compare(fs_info, *inode, chunk, got, nullptr)) problems.push_back(std::move(line));
    }
  }
  return problems;
}

}  // namespace fsrace::model
