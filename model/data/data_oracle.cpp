#include "model/data/data_oracle.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "model/data/btrfs_inode.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kSector = PAGE_SIZE;

// The execution's own copy of a file's shadow (copied from the prepared state on first write).
oracle_file* file_mut(btrfs_fs_info& fs_info, uint64_t root, uint64_t ino) {
  auto it = fs_info.oracle.files.find({root, ino});
  if (it == fs_info.oracle.files.end()) return nullptr;
  if (it->second.use_count() > 1) it->second = std::make_shared<oracle_file>(*it->second);
  return it->second.get();
}

const oracle_file* file_const(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino) {
  auto it = fs_info.oracle.files.find({root, ino});
  return it == fs_info.oracle.files.end() ? nullptr : it->second.get();
}

const std::string& op_text(const btrfs_fs_info& fs_info, uint32_t op) {
  static const std::string unknown = "an unknown operation";
  return op < fs_info.oracle.ops.size() ? fs_info.oracle.ops[op] : unknown;
}

bool all_zero(std::span<const uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

}  // namespace

uint32_t oracle_note_op(btrfs_fs_info& fs_info, std::string_view description) {
  fs_info.oracle.ops.emplace_back(description);
  return uint32_t(fs_info.oracle.ops.size() - 1);
}

void oracle_create(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint32_t op) {
  auto f = std::make_shared<oracle_file>();
  f->name = inode.name;
  f->root = inode.root;
  f->ino = inode.ino;
  f->size_op = op;
  fs_info.oracle.files[{inode.root, inode.ino}] = std::move(f);
}

void oracle_rename(btrfs_fs_info& fs_info, const btrfs_inode& inode) {
  if (oracle_file* f = file_mut(fs_info, inode.root, inode.ino)) f->name = inode.name;
}

void oracle_write(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset, std::span<const uint8_t> bytes,
                  uint32_t op) {
  oracle_file* f = file_mut(fs_info, inode.root, inode.ino);
  if (!f || bytes.empty()) return;
  const uint64_t end = offset + bytes.size();
  for (uint64_t s = offset / kSector; s <= (end - 1) / kSector; s++) {
    oracle_sector& sec = f->sectors[s];
    auto data = sec.data ? std::make_shared<page_data>(*sec.data) : std::make_shared<page_data>();
    if (!sec.data) data->fill(0);
    const uint64_t from = std::max(offset, s * kSector), to = std::min(end, (s + 1) * kSector);
    std::copy(bytes.begin() + (from - offset), bytes.begin() + (to - offset), data->begin() + (from - s * kSector));
    sec.data = std::move(data);
    sec.op = op;
    sec.durable = false;
  }
  if (end > f->size) {
    f->size = end;
    f->size_op = op;
  }
}

void oracle_set_size(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t size, uint32_t op) {
  oracle_file* f = file_mut(fs_info, inode.root, inode.ino);
  if (!f) return;
  if (size < f->size) {
    f->sectors.erase(f->sectors.lower_bound((size + kSector - 1) / kSector), f->sectors.end());
    if (size % kSector) {
      if (auto it = f->sectors.find(size / kSector); it != f->sectors.end() && it->second.data) {
        auto data = std::make_shared<page_data>(*it->second.data);
        std::fill(data->begin() + size % kSector, data->end(), 0);
        it->second.data = std::move(data);
      }
    }
  }
  f->size = size;
  f->size_op = op;
}

void oracle_unlink(btrfs_fs_info& fs_info, const btrfs_inode& inode) { fs_info.oracle.files.erase({inode.root, inode.ino}); }

void oracle_make_durable(btrfs_fs_info& fs_info, const btrfs_inode* inode, uint32_t before_op) {
  // Marks one file's entry (file_mut's copy on write, without its second lookup).
  auto mark = [&](std::shared_ptr<oracle_file>& file) {
    // Only a file with a sector to mark is made the execution's own: a sync leaves the shadows of files
    // that are durable already shared with the prepared state (the same marks either way).
    if (std::none_of(file->sectors.begin(), file->sectors.end(),
                     [&](const auto& e) { return e.second.op < before_op && !e.second.durable; }))
      return;
    if (file.use_count() > 1) file = std::make_shared<oracle_file>(*file);
    for (auto& [idx, sec] : file->sectors)
      if (sec.op < before_op) sec.durable = true;
  };
  if (inode) {
    if (auto it = fs_info.oracle.files.find({inode->root, inode->ino}); it != fs_info.oracle.files.end()) mark(it->second);
    return;
  }
  // Every file in key order, in place: marking replaces an entry's value, never the map's entries.
  for (auto& [key, file] : fs_info.oracle.files) mark(file);
}

bool oracle_expected(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t offset, std::span<uint8_t> out) {
  const oracle_file* f = file_const(fs_info, root, ino);
  if (!f) return false;
  // Sectors the oracle holds are copied, everything between them is zeros (holes, past EOF); each
  // byte is written once.
  const uint64_t end = std::min<uint64_t>(offset + out.size(), f->size);
  uint64_t zero_from = offset;
  for (auto it = f->sectors.lower_bound(offset / kSector); it != f->sectors.end() && it->first * kSector < end; ++it) {
    if (!it->second.data) continue;
    const uint64_t s = it->first * kSector;
    const uint64_t from = std::max(offset, s), to = std::min(end, s + kSector);
    std::fill(out.begin() + (zero_from - offset), out.begin() + (from - offset), 0);
    std::copy(it->second.data->begin() + (from - s), it->second.data->begin() + (to - s), out.begin() + (from - offset));
    zero_from = to;
  }
  std::fill(out.begin() + (zero_from - offset), out.end(), 0);
  return true;
}

std::string oracle_describe_sector(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t index) {
  const oracle_file* f = file_const(fs_info, root, ino);
  if (!f) return "a file the oracle does not know";
  auto it = f->sectors.find(index);
  if (it == f->sectors.end() || !it->second.data)
    return fmt::format("zeros (a hole; size set by {})", op_text(fs_info, f->size_op));
  return fmt::format("the data of {}{}", op_text(fs_info, it->second.op), it->second.durable ? " (made durable)" : "");
}

std::vector<std::string> oracle_compare(const btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset,
                                        std::span<const uint8_t> got, const oracle_snapshot* alternative) {
  std::vector<std::string> out;
  // oracle_expected writes every byte: no zero-initialisation (this runs after every execution).
  auto want_buf = std::make_unique_for_overwrite<uint8_t[]>(got.size());
  const std::span<uint8_t> want(want_buf.get(), got.size());
  if (!oracle_expected(fs_info, inode.root, inode.ino, offset, want)) return out;
  // Walk sector pieces; report runs of bad sectors that share the same expected operation.
  uint64_t run_start = 0, run_end = 0;
  std::string run_what;
  bool run_zero = true;
  auto flush = [&] {
    if (run_end > run_start)
      out.push_back(fmt::format("lost data: file {} (ino {}) offset {} len {}: read returned {}, expected {}", inode.name,
                                inode.ino, run_start, run_end - run_start, run_zero ? "zeros" : "other bytes", run_what));
    run_start = run_end = 0;
  };
  for (uint64_t pos = 0; pos < got.size();) {
    const uint64_t abs = offset + pos;
    const uint64_t piece = std::min<uint64_t>(got.size() - pos, kSector - abs % kSector);
    auto g = got.subspan(pos, piece);
    const bool ok = std::equal(g.begin(), g.end(), want.begin() + pos) ||
                    (alternative && std::equal(g.begin(), g.end(), alternative->bytes.begin() + pos));
    if (!ok) {
      std::string what = oracle_describe_sector(fs_info, inode.root, inode.ino, abs / kSector);
      if (run_end != abs || what != run_what) {
        flush();
        run_start = abs;
        run_what = std::move(what);
        run_zero = true;
      }
      run_end = abs + piece;
      run_zero = run_zero && all_zero(g);
    }
    pos += piece;
  }
  flush();
  return out;
}

}  // namespace fsrace::model
