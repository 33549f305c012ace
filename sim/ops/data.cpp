// The data family: what user space does to files (model/data/): create, buffered and direct writes,
// fallocate, writeback, fsync, sync, reads checked against the data oracle, truncate, unlink, rename,
// opendir; and the end-of-run invariant that every file reads back what was written.
#include <cerrno>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/data/data_check.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/data_pattern.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/dir_index.hpp"
#include "model/data/file.hpp"
#include "model/data/getattr.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/readahead.hpp"
#include "model/data/writeback.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"
#include "sim/binding.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {
namespace {

using model::btrfs_fs_info;
using model::btrfs_inode;

constexpr uint64_t kSubvol = model::BTRFS_FS_TREE_OBJECTID;  // files live in the top subvolume

std::string origin(const exec_context& ctx) {
  return fmt::format("{} in thread {}", ctx.call().display, ctx.thread().name);
}

// Runs `fn` on the named file with a reference held (an open file descriptor); -ENOENT if it is gone.
template <class Fn>
int with_file(exec_context& ctx, const params& p, Fn&& fn) {
  btrfs_fs_info& fs = ctx.fs();
  const uint64_t ino = model::btrfs_lookup_name(fs, kSubvol, p.text("file"));
  if (!ino) return -ENOENT;
  btrfs_inode& inode = *model::btrfs_iget(fs, kSubvol, ino);
  if (!model::btrfs_igrab(inode)) return -ENOENT;  // being evicted
  const int ret = fn(fs, inode);
  model::btrfs_iput(fs, inode);
  return ret;
}

// with_file for ops that declare their footprint (op_spec::declares_footprint): the name lookup reads the
// subvolume's names (fp::dcache); btrfs_iget and igrab read the inode's life and increment i_count
// (fp::inode_grab); iput decrements it (btrfs_iput_claim: undeclared when it evicts, the last reference
// of an unlinked inode). `fn` opens its own scopes first thing and closes them last (this claim covers
// what runs between). The params, the call's description and the pattern are this thread's own.
template <class Fn>
int with_file_declared(exec_context& ctx, const params& p, Fn&& fn) {
  btrfs_fs_info& fs = ctx.fs();
  sched::FootprintScope lookup(sched::touching(model::fp::dcache(), false));
  const uint64_t ino = model::btrfs_lookup_name(fs, kSubvol, p.text("file"));
  if (!ino) return -ENOENT;
  const sched::Footprint held = model::fp::inode_grab(sched::touching(model::fp::dcache(), false), kSubvol, ino);
  sched::FootprintScope get(held);
  btrfs_inode& inode = *model::btrfs_iget(fs, kSubvol, ino);
  if (!model::btrfs_igrab(inode)) return -ENOENT;  // being evicted
  const int ret = fn(fs, inode);
  sched::FootprintScope put(model::btrfs_iput_claim(inode, held));
  model::btrfs_iput(fs, inode);
  return ret;
}

std::vector<uint8_t> pattern(const params& p, uint64_t offset, uint64_t length) {
  std::vector<uint8_t> data(length);
  model::fill_pattern(uint64_t(p.integer("seed")), offset, data);
  return data;
}

// End of the range an op names: length 0 means "to the end of the file".
uint64_t range_end(const params& p) {
  const uint64_t len = p.size("length");
  return len == 0 ? ~0ull : p.size("offset") + len;
}

int read_verify(exec_context& ctx, const params& p) {
  return with_file(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
    const uint64_t offset = p.size("offset");
    const uint64_t want = p.size("length") == 0 ? (inode.i_size > offset ? inode.i_size - offset : 0) : p.size("length");
    model::oracle_snapshot before;
    before.bytes.resize(want);
    model::oracle_expected(fs, inode.root, inode.ino, offset, before.bytes);
    std::vector<uint8_t> got;
    const int64_t n = p.flag("readahead") && !p.flag("direct")
                          ? model::filemap_read_readahead(fs, inode, offset, want, got)
                          : model::btrfs_file_read(fs, inode, offset, want, p.flag("direct"), got);
    if (n < 0) {
      sched::fail(sched::FindingKind::Violation,
                  fmt::format("lost data: file {} (ino {}) offset {}: read returned {} ({}), expected {}", inode.name,
                              inode.ino, offset, n, fs.dmesg.empty() ? "" : fs.dmesg.back(),
                              model::oracle_describe_sector(fs, inode.root, inode.ino, offset / model::PAGE_SIZE)));
    }
    auto problems = model::oracle_compare(fs, inode, offset, got, &before);
    if (problems.empty() && got.size() < want && offset + got.size() < inode.i_size)
      problems.push_back(fmt::format("short read: file {} offset {}: {} of {} bytes", inode.name, offset, got.size(), want));
    if (!problems.empty()) sched::fail(sched::FindingKind::Violation, fmt::format("{}", fmt::join(problems, "; ")));
    return 0;
  });
}

}  // namespace

void register_data_ops(catalogue& cat) {
  cat.add_op("create_file", "data",
             "Creates a regular file in the top subvolume (btrfs_create), optionally nodatacow (chattr +C: "
             "BTRFS_INODE_NODATACOW | NODATASUM) and with `size` bytes of pattern `seed` written through the page "
             "cache.",
             [](exec_context& ctx, const params& p) {
               btrfs_fs_info& fs = ctx.fs();
               const int ret = model::btrfs_create(fs, kSubvol, p.text("file"), p.flag("nodatacow"), nullptr, origin(ctx));
               if (ret || p.size("size") == 0) return ret;
               return with_file(ctx, p, [&](btrfs_fs_info& f, btrfs_inode& inode) {
                 return model::btrfs_buffered_write(f, inode, 0, pattern(p, 0, p.size("size")), origin(ctx));
               });
             })
      .defines("file", "file", "the file's name")
      .flag("nodatacow", "overwrite in place (no COW, no data checksums)")
      .optional(false)
      .size("size", "bytes of initial content (buffered write of pattern `seed`)")
      .optional(0)
      .size_range(0, 1ull << 32)
      .data_bytes()
      .integer("seed", "data pattern of the initial content")
      .optional(1)
      .range(0, int64_t(1) << 40);

  cat.add_op("write", "data",
             "Buffered write (__btrfs_buffered_write): copies pattern `seed` into the page cache at offset and marks "
             "it delalloc; writeback later gives it extents (cow_file_range or run_delalloc_nocow).",
             [](exec_context& ctx, const params& p) {
               // Nothing shared before with_file_declared's own scopes (btrfs_buffered_write opens its own).
               sched::FootprintScope scope(sched::declared());
               return with_file_declared(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_buffered_write(fs, inode, p.size("offset"),
                                                    pattern(p, p.size("offset"), p.size("length")), origin(ctx));
               });
             })
      .declares_footprint()
      .ref("file", "file", "the file written")
      .size("offset", "file offset")
      .optional(0)
      .size_range(0, 1ull << 40)
      .file_offset()
      .size("length", "bytes written")
      .size_range(1, 1ull << 32)
      .data_bytes()
      .integer("seed", "data pattern: the byte at file offset x depends only on (seed, x)")
      .optional(1)
      .range(0, int64_t(1) << 40);

  cat.add_op("dio_write", "data",
             "O_DIRECT write (btrfs_direct_IO): in place when can_nocow_extent allows it (prealloc extents, nodatacow "
             "files: btrfs_inc_nocow_writers, the location read from the extent map at that moment), else a new extent "
             "(btrfs_new_extent_direct: btrfs_reserve_extent, later the DIO ordered extent). Sector aligned.",
             [](exec_context& ctx, const params& p) {
               // Nothing shared before with_file_declared's own scopes (btrfs_direct_write opens its own).
               sched::FootprintScope scope(sched::declared());
               return with_file_declared(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_direct_write(fs, inode, p.size("offset"),
                                                  pattern(p, p.size("offset"), p.size("length")), origin(ctx));
               });
             })
      .declares_footprint()
      .ref("file", "file", "the file written")
      .size("offset", "file offset, multiple of 4KiB")
      .optional(0)
      .size_range(0, 1ull << 40)
      .align(4096)
      .file_offset()
      .size("length", "bytes written, multiple of 4KiB")
      .size_range(4096, 1ull << 32)
      .align(4096)
      .data_bytes()
      .integer("seed", "data pattern: the byte at file offset x depends only on (seed, x)")
      .optional(1)
      .range(0, int64_t(1) << 40);

  cat.add_op("fallocate", "data",
             "fallocate(2) (btrfs_fallocate): prealloc extents over the holes of the range; the file grows unless "
             "keep_size. Later writes into them are nocow (run_delalloc_nocow / can_nocow_extent).",
             [](exec_context& ctx, const params& p) {
               return with_file(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_fallocate(fs, inode, p.flag("keep_size"), p.size("offset"), p.size("length"),
                                               origin(ctx));
               });
             })
      .ref("file", "file", "the file")
      .size("offset", "start of the range")
      .optional(0)
      .size_range(0, 1ull << 40)
      .file_offset()
      .size("length", "bytes of the range")
      .size_range(1, 1ull << 36)
      .data_bytes()
      .flag("keep_size", "FALLOC_FL_KEEP_SIZE: do not change the file size")
      .optional(false);

  cat.add_op("writeback", "data",
             "sync_file_range(SYNC_FILE_RANGE_WRITE) (btrfs_fdatawrite_range): runs delalloc of the range and submits "
             "the bios; returns without waiting for them (ordered extents complete in btrfs-endio-write workers).",
             [](exec_context& ctx, const params& p) {
               // Nothing shared before with_file_declared's own scopes (extent_writepages opens its own).
               sched::FootprintScope scope(sched::declared());
               return with_file_declared(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_fdatawrite_range(fs, inode, p.size("offset"), range_end(p));
               });
             })
      .declares_footprint()
      .ref("file", "file", "the file")
      .size("offset", "start of the range")
      .optional(0)
      .size("length", "bytes of the range; 0 = to the end of the file")
      .optional(0);

  cat.add_op("flush_delalloc", "data",
             "btrfs_start_delalloc_roots: writes out every inode with delalloc (what relocation did before "
             "9cfa3e34e20e and what sync does first); does not wait for the ordered extents.",
             [](exec_context& ctx, const params&) {
               model::btrfs_start_delalloc_roots(ctx.fs(), ~0ull);
               return 0;
             });

  cat.add_op("wait_ordered", "data",
             "btrfs_wait_ordered_roots over every root: waits for the ordered extents whose disk range overlaps "
             "[start, start+length) (length 0 = all), as relocation and device replace do.",
             [](exec_context& ctx, const params& p) {
               const uint64_t len = p.size("length") == 0 ? ~0ull : p.size("length");
               model::btrfs_wait_ordered_roots(ctx.fs(), ~0ull, p.size("start"), len);
               return 0;
             })
      .size("start", "logical start of the disk range")
      .optional(0)
      .size("length", "bytes; 0 = everything from start")
      .optional(0);

  cat.add_op("fsync", "data",
             "fsync(2) (btrfs_sync_file): writes and waits for the file's data, then starts a transaction "
             "(btrfs_start_transaction) and commits it (the model has no log tree). The oracle marks the file's data "
             "durable.",
             [](exec_context& ctx, const params& p) {
               return with_file(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_sync_file(fs, inode, 0, ~0ull);
               });
             })
      .ref("file", "file", "the file");

  cat.add_op("sync", "data",
             "sync(2) (btrfs_sync_fs): flush all delalloc, wait for every ordered extent, then attach to the running "
             "transaction and commit it (btrfs_attach_transaction_barrier), or, when none runs, wait for the one "
             "committing.",
             [](exec_context& ctx, const params&) { return model::btrfs_sync_fs(ctx.fs()); });

  cat.add_op("read_verify", "data",
             "read(2) of a range, buffered (page cache, missing pages read from disk with checksums) or O_DIRECT, "
             "compared with the data oracle: other bytes, a checksum failure on every mirror, or an unmapped address "
             "is lost data, reported with file, offset and the operation that last wrote it.",
             read_verify)
      .ref("file", "file", "the file read")
      .size("offset", "file offset")
      .optional(0)
      .file_offset()
      .size("length", "bytes; 0 = to the end of the file")
      .optional(0)
      .data_bytes()
      .flag("direct", "O_DIRECT (btrfs_direct_read, i_rwsem shared): write back the range, then read the disk per extent "
                      "map; what lock_extent_direct refuses (-ENOTBLK) is read through the page cache")
      .optional(false)
      .flag("readahead", "buffered read as 6.1's readahead (extent_readahead): one bio per run of pages contiguous on "
                         "disk, completed in an end_io fiber that unlocks the pages, then the io tree range; the read "
                         "waits for the pages only. Without it the model's synchronous read (io tree unlocked by the "
                         "reader before the pages). Ignored with direct")
      .optional(false);

  cat.add_op("stat", "data",
             "stat(2) (btrfs_getattr): st_blocks from the inode's bytes (inode_get_bytes) and new_delalloc_bytes, "
             "read together under inode->lock: (ALIGN(bytes) + ALIGN(new_delalloc_bytes)) >> 9. The model has no "
             "EXTENT_DELALLOC_NEW (new_delalloc_bytes 0): a buffered write into a hole counts once its ordered "
             "extent completed. `expect_blocks` states the answer; another is a violation.",
             [](exec_context& ctx, const params& p) {
               return with_file(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 const uint64_t blocks = model::btrfs_getattr_blocks(fs, inode);
                 const int64_t want = p.integer("expect_blocks");
                 if (want >= 0 && blocks != uint64_t(want))
                   sched::fail(sched::FindingKind::Violation,
                               fmt::format("stat of file {} ({}): st_blocks {}, expected {}", inode.name, origin(ctx),
                                           blocks, want));
                 return 0;
               });
             })
      .ref("file", "file", "the file")
      .integer("expect_blocks", "the st_blocks stat must return (512-byte units); -1: not checked")
      .optional(-1)
      .range(-1, int64_t(1) << 40);

  cat.add_op("truncate", "data",
             "truncate(2) (btrfs_setsize): shrinking drops pages and frees extents past the new size through delayed "
             "refs (btrfs_truncate_inode_items); growing adds a hole.",
             [](exec_context& ctx, const params& p) {
               return with_file(ctx, p, [&](btrfs_fs_info& fs, btrfs_inode& inode) {
                 return model::btrfs_setsize(fs, inode, p.size("size"), origin(ctx));
               });
             })
      .ref("file", "file", "the file")
      .size("size", "the new size")
      .size_range(0, 1ull << 40)
      .data_bytes();

  cat.add_op("unlink", "data",
             "unlink(2) (btrfs_unlink): removes the name; once no operation holds the file, btrfs_evict_inode drops "
             "its pages and frees its items and extents.",
             [](exec_context& ctx, const params& p) { return model::btrfs_unlink(ctx.fs(), kSubvol, p.text("file")); })
      .ref("file", "file", "the file removed");

  cat.add_op("rename", "data",
             "rename(2) in the top subvolume (vfs_rename -> btrfs_rename): the directory's i_rwsem, then the file and "
             "an existing `to` locked lower address first (lock_two_nondirectories; addresses are the order the "
             "files were made in); a replaced `to` is unlinked and evicted once no operation holds it. Renaming a "
             "file to its own name does nothing.",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_rename(ctx.fs(), kSubvol, p.text("file"), p.text("to"));
             })
      .ref("file", "file", "the file renamed")
      .defines("to", "file", "its new name (an existing file of that name is replaced)");

  cat.add_op("opendir", "data",
             "opendir(3) of the top subvolume's directory (btrfs_opendir -> btrfs_get_dir_last_index, 6.1.192): "
             "the index of its last entry (index_cnt - 1) kept as the bound readdir stops at, index_cnt first "
             "loaded from the last DIR_INDEX key when the directory's inode was read from disk; under the "
             "directory's inode lock with 8e7f82deb0c0, without it before. readdir itself is not modelled.",
             [](exec_context& ctx, const params&) {
               uint64_t last_index = 0;
               return model::btrfs_opendir(ctx.fs(), kSubvol, &last_index);
             });

  cat.add_op("evict_dir", "data",
             "The top subvolume's directory inode dropped from memory as after a mount (or evicted while unused "
             "and read again): btrfs_alloc_inode gives it index_cnt (u64)-1, so the next create, rename or opendir "
             "loads it from the last DIR_INDEX key (btrfs_set_inode_index_count). Setup only.",
             [](exec_context& ctx, const params&) {
               model::btrfs_evict_dir_inode(ctx.fs(), kSubvol);
               return 0;
             })
      // A mount, or an inode nobody holds: in a thread, creates would hold the directory meanwhile.
      .scope(op_scope::setup_only);

  cat.add_invariant("data_matches_oracle", "data",
                    "After every thread finished, each file is read back through the model's read path (dirty pages "
                    "from the page cache, the rest from disk through its file extent items, checksums verified, other "
                    "mirrors tried) and compared with every byte user space wrote: a difference, a read error or a "
                    "wrong size is lost data naming file, offset and the operation that last wrote it.",
                    [](const check_context& ctx, const params&) { return model::btrfs_check_data_against_oracle(ctx.fs()); })
      .on_by_default();
}

}  // namespace fsrace::sim
