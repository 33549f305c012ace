// The scrub family: scrub of a device, device replace, the cleaner's deletion of unused block groups,
// and the set-up operations that make block groups for them (model/maint/scrub.hpp, dev_replace.hpp,
// cleaner.hpp).
#include <cerrno>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/volumes.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/dev_replace.hpp"
#include "model/maint/fitrim.hpp"
#include "model/maint/scrub.hpp"
#include "scheduler/footprint.hpp"
#include "sim/binding.hpp"
#include "sim/ops/block_group_type.hpp"

namespace fsrace::sim {
namespace {

// Devices are named by their index in filesystem.devices; mkfs gives device i the devid i + 1.
uint64_t devid_of(const params& p, const char* name) { return uint64_t(p.device(name)) + 1; }

// An empty, writable group the cleaner would delete must be on fs_info->unused_bgs: off it, nothing
// deletes it until it is used and freed again (or balanced).
std::vector<std::string> check_unused_bgs_complete(const check_context& ctx, const params&) {
  const model::btrfs_fs_info& fs = ctx.fs();
  std::vector<std::string> problems;
  for (const auto& [start, bg] : fs.block_group_cache_tree) {
    if (!(bg->flags & model::BTRFS_BLOCK_GROUP_DATA)) continue;  // tree COWs allocate those empty
    if (bg->removed || bg->ro || bg->used || bg->reserved || bg->pinned || bg->on_unused_list) continue;
    const model::btrfs_space_info* sinfo = nullptr;
    for (const auto& s : fs.space_info)
      if (s.flags == (bg->flags & model::BTRFS_BLOCK_GROUP_TYPE_MASK)) sinfo = &s;
    if (!sinfo || sinfo->block_groups.size() <= 1) continue;  // the last of its type is never deleted
    problems.push_back(fmt::format("block group {} ({}) is empty and writable but not on fs_info->unused_bgs: the "
                                   "cleaner will never delete it", start, model::block_group_type_name(bg->flags)));
  }
  return problems;
}

// No operation of the catalogue corrupts a copy, so every error a scrub counts is false: a copy read
// through the wrong mapping, a sector checked against the wrong checksum. Device replace's copy is not
// counted here (its errors go to dev_replace, not to the scrub status of a device).
std::vector<std::string> check_scrub_no_errors(const check_context& ctx, const params&) {
  const model::btrfs_fs_info& fs = ctx.fs();
  std::vector<std::string> problems;
  for (const auto& [devid, t] : fs.scrub_totals) {
    if (t.total_errors() == 0 && t.uncorrectable_errors == 0) continue;
    std::string line = fmt::format(
        "scrub of devid {} counted {} checksum, {} verify and {} read errors ({} corrected, {} uncorrectable: "
        "\"unable to fixup\") on a filesystem with no corrupted copy",
        devid, t.csum_errors, t.verify_errors, t.read_errors, t.corrected_errors, t.uncorrectable_errors);
    // The kernel log names the first bad logical address.
    for (const auto& l : fs.dmesg) {
      if (l.find(fmt::format("on dev devid {},", devid)) == std::string::npos) continue;
      if (l.find("error at logical") == std::string::npos) continue;
      line += ": " + l;
      break;
    }
    problems.push_back(std::move(line));
  }
  return problems;
}

}  // namespace

void register_scrub_ops(catalogue& cat) {
  cat.add_op("scrub", "scrub",
             "btrfs scrub start -B on one device (btrfs_scrub_dev): every device extent found in the device tree's "
             "commit root is scrubbed with its block group read-only (scrub_enumerate_chunks -> scrub_chunk -> "
             "scrub_stripe over the extent tree's commit root): data checksums and tree block headers are "
             "verified, bad copies repaired from a good mirror (unless readonly). Errors found are counted, not "
             "returned; the return value is the ioctl's: -EINVAL when a chunk mapping vanished under it (without "
             "020d5b7366fc), -EINPROGRESS when the device is being scrubbed or a replace runs, -ENODEV.",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_scrub_dev(ctx.fs(), devid_of(p, "dev"), 0, ~0ull, nullptr, p.flag("readonly"), false);
             })
      .device("dev", "the device scrubbed")
      .flag("readonly", "-r: only report errors, do not repair")
      .optional(false)
      .allow_errors({-EINPROGRESS});

  cat.add_op("dev_replace", "scrub",
             "btrfs replace start -B (btrfs_dev_replace_start): adds a new, empty device of `size` bytes as the "
             "target (devid 0), duplicates writes to the source to it (only below dev_replace->cursor_left before "
             "22ab04e814f4), copies every extent of the source with scrub in replace mode (f0e9b7d64019: waiting "
             "for writers of each block group after setting it read-only), then finishing flushes delalloc, "
             "commits and makes the target take the source's devid; the source leaves the filesystem. -EBUSY "
             "while another exclusive operation runs; -ECANCELED when dev_replace_cancel canceled its copy (the "
             "target is then removed and the source stays).",
             [](exec_context& ctx, const params& p) {
               // Only the op's params here; btrfs_dev_replace_by_ioctl opens its own scope.
               sched::FootprintScope scope(sched::declared());
               const std::string& name = p.text("name");
               return model::btrfs_dev_replace_by_ioctl(ctx.fs(), devid_of(p, "dev"), p.size("size"), name);
             })
      .declares_footprint()
      .device("dev", "the source device, replaced")
      .size("size", "size of the new device (at least the source's)")
      .size_range(1ull << 20, 1ull << 50)
      .align(4096)
      .string("name", "name of the new device in reports")
      .optional("replacement")
      .allow_errors({-EBUSY, -ECANCELED});

  cat.add_op("dev_replace_cancel", "scrub",
             "btrfs replace cancel (BTRFS_IOCTL_DEV_REPLACE_CMD_CANCEL -> btrfs_dev_replace_cancel), under "
             "dev_replace->lock_finishing_cancel_unmount: with no replace started (never, finished or canceled) "
             "BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED, -ENOTCONN here; a started replace is canceled by "
             "btrfs_scrub_cancel of its copy (the copy returns -ECANCELED and the replace's finishing removes the "
             "target), NOT_STARTED (-ENOTCONN) while its copy has not started yet (d189dd70e255; before it the "
             "cancel set the state CANCELED, committed and freed the target itself, under a replace thread about "
             "to copy to it). 0 when it canceled a copy.",
             [](exec_context& ctx, const params&) { return model::btrfs_ioctl_dev_replace_cancel(ctx.fs()); })
      .allow_errors({-ENOTCONN});

  cat.add_op("delete_unused_bgs", "scrub",
             "One pass of the cleaner kthread over fs_info->unused_bgs (btrfs_delete_unused_bgs): every group still "
             "empty, writable and not the last of its kind is set read-only and its chunk removed "
             "(btrfs_remove_chunk: dev extents, chunk item, then btrfs_remove_block_group: the cache entry and the "
             "extent map) in a joined transaction that is ended, not committed.",
             [](exec_context& ctx, const params&) {
               model::btrfs_delete_unused_bgs(ctx.fs());
               return 0;
             });

  cat.add_op("fitrim", "scrub",
             "fstrim (btrfs_ioctl_fitrim -> btrfs_trim_fs): for every block group from `start` on, each free extent "
             "at least `minlen` long is taken out of the free space, reserved unless the group is read-only, "
             "discarded on its device stripes (the device then reads zeros there) and put back, with the group "
             "frozen (04216820fe83: a removed group keeps its chunk mapping and device extents until the trim "
             "unfreezes it); then every device's unallocated space is discarded under chunk_mutex. Returns the "
             "last block group error (-EINVAL when a group's chunk mapping vanished under the trim).",
             [](exec_context& ctx, const params& p) {
               uint64_t trimmed = 0;
               return model::btrfs_trim_fs(ctx.fs(), p.size("start"), p.size("minlen"), &trimmed);
             })
      .size("start", "fstrim_range.start: the first logical address trimmed")
      .optional(0)
      .size("minlen", "fstrim_range.minlen: free extents shorter than this are skipped")
      .optional(0);

  cat.add_op("alloc_chunk", "scrub",
             "Allocates `count` new, empty chunks of a type with the filesystem's profile for it, in one "
             "transaction handle, then commits (btrfs_force_chunk_alloc: btrfs_chunk_alloc with CHUNK_ALLOC_FORCE; "
             "a system chunk only before 2bb2e00ed978, from 5.16 -ENOSPC). -ENOSPC when the devices "
             "have no room.",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_force_chunk_alloc(ctx.fs(), block_group_type_flag(p.text("type")), int(p.integer("count")));
             })
      .choice("type", {"data", "metadata", "system"}, "block group type")
      .integer("count", "how many chunks")
      .optional(1)
      .range(1, 64);

  cat.add_op("mark_empty_bgs_unused", "scrub",
             "What mounting does with empty block groups (btrfs_read_block_groups): every group with nothing used "
             "goes on fs_info->unused_bgs, where the cleaner (delete_unused_bgs) finds it. Setup only: mounting "
             "ends before the threads start.",
             [](exec_context& ctx, const params&) {
               model::btrfs_mark_empty_bgs_unused(ctx.fs());
               return 0;
             })
      // Mounting ends before any thread runs: in a thread the scan would race writers' new chunks, which
      // the kernel never puts on unused_bgs (BLOCK_GROUP_FLAG_NEW), and invent a cleaner deleting them.
      .scope(op_scope::setup_only);

  cat.add_invariant("unused_bgs_complete", "scrub",
                    "After every thread ended: every data block group that is empty (nothing used, reserved or pinned), "
                    "writable and not the last data group is on fs_info->unused_bgs, so the cleaner deletes it. Off the "
                    "list it stays until it is used and freed again (758f2dfcf8a2). For scenarios where every empty data "
                    "group was marked unused (mark_empty_bgs_unused in setup, or its last extent freed): a data chunk "
                    "a thread allocates empty (alloc_chunk) is not on it. Metadata and system groups are not checked: "
                    "tree COWs allocate them empty during a run.",
                    check_unused_bgs_complete);

  cat.add_invariant("scrub_no_errors", "scrub",
                    "After every thread ended: every scrub counted no error (checksum, header verify, read, uncorrectable "
                    "\"unable to fixup\"), added up over the scrubs of each device (btrfs scrub status). No operation "
                    "corrupts a copy, so any error is a false one: scrub read a copy through a chunk mapping that is no "
                    "longer the extent's, or checked it against the wrong checksum (2473d24f2b77). Device replace's "
                    "copy is not counted.",
                    check_scrub_no_errors)
      .on_by_default();
}

}  // namespace fsrace::sim
