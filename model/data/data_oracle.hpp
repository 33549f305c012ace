// The data oracle: a shadow of every byte user space wrote to each file, the operation that last
// touched each sector, and whether it was made durable (fsync or sync) since. A read that returns
// other bytes, or cannot return them, is lost data; the report names file, offset and operation.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/append_vector.hpp"
#include "model/data/page_cache.hpp"
#include "model/flat_map.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

struct oracle_sector {
  page_data_ptr data;     // expected content; null = zeros
  uint32_t op = 0;        // index in data_oracle::ops of the last operation that wrote it
  bool durable = false;   // fsynced or committed after that write
};

struct oracle_file {
  std::string name;
  uint64_t root = 0, ino = 0;
  uint64_t size = 0;
  uint32_t size_op = 0;   // last operation that set the size (create, truncate, extending write)
  std::map<uint64_t, oracle_sector> sectors;  // by sector index; absent = zeros
};

struct data_oracle {
  // Files by (root, ino). Shared with the prepared state until first written (copy on write).
  flat_map<std::pair<uint64_t, uint64_t>, std::shared_ptr<oracle_file>> files;
  // Descriptions of the operations that changed data ("write a 0+64KiB (thread t1)"); the prepared
  // state's are shared by its clones (model::freeze).
  append_vector<std::string> ops;
};

// Recording (called by the data paths at the moment the kernel makes the change visible).
uint32_t oracle_note_op(btrfs_fs_info& fs_info, std::string_view description);
void oracle_create(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint32_t op);
void oracle_write(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset, std::span<const uint8_t> bytes,
                  uint32_t op);
void oracle_set_size(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t size, uint32_t op);
void oracle_unlink(btrfs_fs_info& fs_info, const btrfs_inode& inode);
// The file took a new name (rename): only the reports change.
void oracle_rename(btrfs_fs_info& fs_info, const btrfs_inode& inode);
// Sectors last written by an operation noted before `before_op` become durable (fsync / sync).
void oracle_make_durable(btrfs_fs_info& fs_info, const btrfs_inode* inode, uint32_t before_op);  // inode null: all

// The expected bytes of [offset, offset+out.size()) of a file (zeros past holes); false if the
// oracle does not know the file.
bool oracle_expected(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t offset,
                     std::span<uint8_t> out);
// Compares what a read returned with what the oracle expects and describes every differing sector
// ("lost data: file a (ino 257) offset 4096: read returned ..., expected the data of <op>").
// `alternative` (may be null): the oracle as it was when the read started; a sector matching either
// the current or that content is accepted (a read racing with a write to the same range may return
// either).
struct oracle_snapshot {
  std::vector<uint8_t> bytes;
};
std::vector<std::string> oracle_compare(const btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset,
                                        std::span<const uint8_t> got, const oracle_snapshot* alternative);
std::string oracle_describe_sector(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino, uint64_t index);

}  // namespace fsrace::model
