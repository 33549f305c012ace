#include "model/bio.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "model/data/dio_footprints.hpp"
#include "model/fs_info.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/completion.hpp"

namespace fsrace::model {

int btrfs_dev_read(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, uint64_t len, uint8_t* out) {
  btrfs_device* d = fs_info.device(s.devid);
  if (!d || d->missing) return -EIO;
  d->bdev.read(s.physical, {out, len});
  return 0;
}

int btrfs_dev_write(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, uint64_t len, const uint8_t* data) {
  btrfs_device* d = fs_info.device(s.devid);
  if (!d || d->missing) return -EIO;
  d->bdev.write(s.physical, {data, len});
  return 0;
}

int btrfs_dev_write_tree_block(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, const tree_block_ptr& block) {
  btrfs_device* d = fs_info.device(s.devid);
  if (!d || d->missing) return -EIO;
  d->bdev.write_tree_block(s.physical, block, fs_info.nodesize);
  return 0;
}

void btrfs_submit_bio(btrfs_fs_info& fs_info, btrfs_bio_ptr bio) {
  sched::point(sched::L("submit_bio(logical {} len {})", bio->logical, bio->len));
  // btrfs_map_block (claim_map_block; it has no scope of its own); the bio is still the submitter's.
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(fp::claim_map_block(claim));
  FSRACE_MODEL_CHECK((bio->buf && bio->buf->size() == bio->len) || (bio->block && bio->op == map_op::write),
                "bio buffer of {} bytes for len {}", bio->buf ? bio->buf->size() : 0, bio->len);
  // btrfs_map_bio at submission: the stripes are fixed now, whatever happens to the chunk later.
  bio->status = btrfs_map_block(fs_info, bio->op, bio->logical, bio->len, bio->mirror_num, bio->stripes);
  btrfs_fs_info* fs = &fs_info;
  sched::Scheduler* s = sched::current_scheduler();
  FSRACE_MODEL_CHECK(s, "btrfs_submit_bio outside a scheduler");
  s->spawn("endio", [fs, bio] {
    sched::point(sched::L("bio_endio(logical {} len {})", bio->logical, bio->len));
    {
      // The transfer: each stripe's device contents (written, or read into the bio's buffer) and the
      // device looked up by devid (the device list, its missing flag); the bio's status is the
      // submitter's, which reads it only after the completion end_io signals. The scope closes before
      // end_io runs, so that the transfer's claim stays out of end_io's later steps.
      sched::Footprint claim = sched::declared().reads_from(fp::chunk_map());
      for (const auto& st : bio->stripes) {
        claim.reads_from(fp::device(st.devid));
        fp::touch_device_data(claim, st.devid, st.physical, bio->block ? fs->nodesize : st.length,
                              bio->op == map_op::write);
      }
      sched::FootprintScope scope(claim);
      if (bio->status == 0) {
        // A piece of the IO (btrfs_map_block splits it at stripe boundaries) succeeds if any mirror
        // took it; the bio fails if one of its pieces failed everywhere.
        std::vector<std::pair<uint64_t, bool>> pieces;  // (offset into the IO, some mirror ok)
        for (const auto& st : bio->stripes) {
          FSRACE_ASSERT(!bio->block || (st.offset == 0 && st.length == bio->len), "tree block bio {} split", bio->logical);
          const uint8_t* data = bio->buf ? bio->buf->data() + st.offset : nullptr;
          int r = bio->block                  ? btrfs_dev_write_tree_block(*fs, st, bio->block)
                  : bio->op == map_op::write ? btrfs_dev_write(*fs, st, st.length, data)
                                             : btrfs_dev_read(*fs, st, st.length, bio->buf->data() + st.offset);
          auto it = std::find_if(pieces.begin(), pieces.end(), [&](const auto& p) { return p.first == st.offset; });
          if (it == pieces.end()) pieces.push_back({st.offset, r == 0});
          else it->second |= (r == 0);
        }
        const bool all = !pieces.empty() && std::all_of(pieces.begin(), pieces.end(), [](const auto& p) { return p.second; });
        if (!all) bio->status = -EIO;
      }
    }
    if (bio->end_io) {
      // An end_io whose submitter did not vouch for its scope (btrfs_bio::end_io_declares_footprint)
      // runs undeclared.
      std::optional<sched::FootprintScope> undeclared;
      if (!bio->end_io_declares_footprint) undeclared.emplace(sched::Footprint{});
      bio->end_io(*bio);
    }
  }, sched::declared());  // the body's own code: nothing before its point, then the scope above
}

namespace {
// A step that blocks in wait_for_completion records only the completion (the primitive sees to it:
// scheduler/sync/blocking.hpp); the step that returns into the caller (woken, or the completion already
// done) takes the caller's claim.
void wait_bio_completion(sched::Completion& done) { done.wait_for_completion(); }
}  // namespace

int btrfs_read_sync(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, int mirror_num, std::vector<uint8_t>& out) {
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::read;
  bio->logical = logical;
  bio->len = len;
  bio->mirror_num = mirror_num;
  bio->buf = std::make_shared<std::vector<uint8_t>>(len);
  auto done = std::make_shared<sched::Completion>("bio completion");
  // Only the completion (a primitive: its own object); the bio's buffer and status are ours again after
  // wait_for_completion.
  bio->end_io = [done](btrfs_bio&) {
    sched::FootprintScope scope(sched::declared());
    done->complete();
  };
  bio->end_io_declares_footprint = true;
  btrfs_submit_bio(fs_info, bio);
  wait_bio_completion(*done);
  out = std::move(*bio->buf);  // the completed bio's buffer is ours now
  return bio->status;
}

int btrfs_write_sync(btrfs_fs_info& fs_info, uint64_t logical, std::shared_ptr<std::vector<uint8_t>> data) {
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::write;
  bio->logical = logical;
  bio->len = data->size();
  bio->buf = std::move(data);
  auto done = std::make_shared<sched::Completion>("bio completion");
  // Only the completion (a primitive: its own object); the bio's buffer and status are ours again after
  // wait_for_completion.
  bio->end_io = [done](btrfs_bio&) {
    sched::FootprintScope scope(sched::declared());
    done->complete();
  };
  bio->end_io_declares_footprint = true;
  btrfs_submit_bio(fs_info, bio);
  wait_bio_completion(*done);
  return bio->status;
}

}  // namespace fsrace::model
