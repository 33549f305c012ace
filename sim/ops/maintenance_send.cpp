// The send family: subvolumes and snapshots (BTRFS_IOC_SUBVOL_CREATE / BTRFS_IOC_SNAP_CREATE_V2,
// BTRFS_IOC_SNAP_DESTROY),
// btrfs send (full and incremental) into a named stream, btrfs receive of a stream, and the
// end-of-run check that every received subvolume equals the snapshot it was sent from.
#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/receive.hpp"
#include "model/maint/send.hpp"
#include "model/maint/snapshot.hpp"
#include "model/maint/subvol_delete.hpp"
#include "scheduler/scheduler.hpp"
#include "sim/binding.hpp"
#include "sim/ops/subvolume_name.hpp"
#include "sim/scenario.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {
namespace {

// A send error that reaches user space is reported with what the kernel logged meanwhile ("parent
// transid verify failed ...", "did not find backref in send_root ..."): the symptom the scenario expects.
// Errors the call allows, and errors of setup operations, are returned as usual.
void report_send_error(exec_context& ctx, int ret, const std::vector<std::string>& dmesg, size_t from) {
  const op_call& call = ctx.call();
  if (ctx.thread().index == thread_state::kSetup || !ctx.the_scenario().check_user_errors) return;
  if (std::find(call.allowed_errors.begin(), call.allowed_errors.end(), ret) != call.allowed_errors.end()) return;
  std::string log;
  for (size_t i = from; i < dmesg.size(); ++i)
    if (dmesg[i].rfind("BTRFS info", 0) != 0) log += (log.empty() ? "" : "; ") + dmesg[i];
  sched::fail(sched::FindingKind::Violation,
              fmt::format("{} returned {} ({}) to user space (thread {}, {}){}{}", call.spec->name, format_errno(ret),
                          ret, ctx.thread().name, call.path, log.empty() ? "" : ": ", log));
}

int do_send(exec_context& ctx, const params& p, const std::string& parent_name) {
  model::btrfs_fs_info& fs = ctx.fs();
  const uint64_t snap = subvol_by_name(fs, p.text("snapshot"));
  const uint64_t parent = parent_name.empty() ? 0 : subvol_by_name(fs, parent_name);
  if (!snap || (!parent_name.empty() && !parent)) return -ENOENT;
  model::send_stream_ptr stream;
  const size_t logged = fs.dmesg.size();
  const int ret = model::btrfs_ioctl_send(fs, snap, parent, &stream);
  if (ret == 0) fs.send_streams[p.text("stream")] = stream;
  if (ret < 0) report_send_error(ctx, ret, fs.dmesg, logged);
  return ret;
}

}  // namespace

void register_send_ops(catalogue& cat) {
  cat.add_op("create_subvolume", "send",
             "btrfs subvolume create (BTRFS_IOC_SUBVOL_CREATE): an empty subvolume in the top directory of the "
             "top-level subvolume, committed before returning.",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_ioctl_subvol_create(ctx.fs(), model::BTRFS_FS_TREE_OBJECTID, p.text("name"), nullptr);
             })
      .defines("name", "subvolume", "the new subvolume's name");

  cat.add_op("create_snapshot", "send",
             "btrfs subvolume snapshot [-r] (BTRFS_IOC_SNAP_CREATE_V2): flushes the source's delalloc and waits for "
             "its ordered extents, then starts a transaction with the pending snapshot and commits it: the commit, "
             "once every other handle ended (create_pending_snapshot), copies the source's root node "
             "(btrfs_copy_root; every other tree block is shared), sets the source's root_item.last_snapshot, adds "
             "ROOT_REF/ROOT_BACKREF and the entry in the top directory of the top-level subvolume.",
             [](exec_context& ctx, const params& p) {
               model::btrfs_fs_info& fs = ctx.fs();
               // The source is held open from the call's start, like the ioctl's fd: a subvolume deleted
               // meanwhile (its root not yet dropped) is still the source.
               const uint64_t source = subvol_by_name(fs, p.text("source"));
               const uint64_t dest = subvol_by_name(fs, p.text("dest"));
               if (!source || !dest) return -ENOENT;
               return model::btrfs_ioctl_snap_create(fs, source, dest, p.text("name"), p.flag("readonly"), nullptr);
             })
      .defines("name", "subvolume", "the snapshot's name")
      .string("source", "name of the subvolume snapshotted (created by create_subvolume or create_snapshot); \"\" = "
                        "the top-level subvolume, where the data operations' files live")
      .optional("")
      .flag("readonly", "-r: a read-only snapshot (BTRFS_SUBVOL_RDONLY), which send requires")
      .optional(true)
      .string("dest", "name of the subvolume in whose top directory the snapshot's entry goes; \"\" = the top-level "
                      "subvolume")
      .optional("");

  cat.add_op("delete_subvolume", "send",
             "btrfs subvolume delete (BTRFS_IOC_SNAP_DESTROY, btrfs_delete_subvolume): under the directory's and the "
             "subvolume's i_rwsem and fs_info->subvol_sem (write), marks the root BTRFS_ROOT_SUBVOL_DEAD, removes its "
             "entry, ROOT_REF and ROOT_BACKREF, sets root_item.refs to 0 and adds an orphan item for it, then ends "
             "the transaction (no commit). The cleaner's drop of the dead root (btrfs_drop_snapshot) is not "
             "modelled: the root stays, unreachable by name. -ENOENT (no such entry), -EPERM (a send uses it), "
             "-ENOTEMPTY (it holds subvolumes).",
             [](exec_context& ctx, const params& p) {
               model::btrfs_fs_info& fs = ctx.fs();
               const uint64_t dir = subvol_by_name(fs, p.text("dir"));
               if (!dir) return -ENOENT;
               return model::btrfs_ioctl_snap_destroy(fs, dir, p.text("name"));
             })
      .ref("name", "subvolume", "the subvolume or snapshot deleted (its entry's name)")
      .string("dir", "name of the subvolume in whose top directory its entry is; \"\" = the top-level subvolume")
      .optional("");

  cat.add_op("send", "send",
             "btrfs send of a read-only snapshot (BTRFS_IOC_SEND, full send_subvol): reads the snapshot's commit root "
             "without a transaction and writes a stream of commands (mkfile, rename, write with the data read from "
             "disk, truncate, chmod, ...) kept under `stream` for receive. -EPERM on a writable subvolume; "
             "-EAGAIN / -EBUSY when a send/relocation exclusion of the fixes turns it away.",
             [](exec_context& ctx, const params& p) { return do_send(ctx, p, ""); })
      .ref("snapshot", "subvolume", "the read-only snapshot sent")
      .defines("stream", "stream", "name under which the stream is kept")
      .allow_errors({-EAGAIN, -EBUSY});

  cat.add_op("send_incremental", "send",
             "btrfs send -p PARENT: an incremental stream from the parent snapshot (btrfs_compare_trees over both "
             "commit roots, shared subtrees skipped). Same errors as send.",
             [](exec_context& ctx, const params& p) { return do_send(ctx, p, p.text("parent")); })
      .ref("snapshot", "subvolume", "the read-only snapshot sent")
      .ref("parent", "subvolume", "the read-only parent snapshot (received earlier on the other side)")
      .defines("stream", "stream", "name under which the stream is kept")
      .allow_errors({-EAGAIN, -EBUSY});

  cat.add_op("receive", "send",
             "btrfs receive of a stream sent earlier: builds (full) or updates a copy of the received parent "
             "(incremental) in user space. Fails like btrfs receive when the stream does not apply (a write to a path "
             "that does not exist, a parent never received). The invariant received_matches_snapshot compares the "
             "result with the snapshot. -ENODATA (allowed) when the send of that stream failed or was turned away: "
             "receive reads an empty stream; the send's own error is reported against the send.",
             [](exec_context& ctx, const params& p) { return model::btrfs_receive_stream(ctx.fs(), p.text("stream")); })
      .ref("stream", "stream", "the stream to receive")
      .allow_errors({-ENODATA});

  cat.add_invariant("received_matches_snapshot", "send",
                    "Every subvolume received from a send stream has exactly the paths, file types, modes, sizes and "
                    "data of the snapshot that was sent (read from its current tree and the disks): a difference is "
                    "\"send stream differs from the snapshot\".",
                    [](const check_context& ctx, const params&) { return model::btrfs_check_received(ctx.fs()); })
      .on_by_default();
}

}  // namespace fsrace::sim
