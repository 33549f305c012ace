// Direct IO reads as 6.1 runs them: iomap's __iomap_dio_rw calls btrfs_dio_iomap_begin once per extent
// map; each mapping's range stays locked in the io tree from lock_extent_direct until its bio completes
// (btrfs_end_dio_bio -> btrfs_dio_private_put unlocks it), and the next mapping is locked while earlier
// bios are still in flight. -ENOTBLK from a mapping ends the direct part; btrfs_file_read_iter reads the
// rest through the page cache (file_read.cpp).
#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/data/direct_io.hpp"
#include "model/data/inode.hpp"
#include "model/data/read.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/completion.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t BTRFS_MAX_BIO_SECTORS = 256;

// What the bios of one direct read share (struct btrfs_dio_private per bio in the kernel, the iomap_dio
// for the status): the bytes read, at their offset from the read's start (the user buffer), and the
// first failure. Shared so that a completion never writes into a reader unwound at the end of an execution.
struct dio_read_state {
  std::vector<uint8_t> data;
  data_read_result err;
};

// btrfs_dio_iomap_begin for a read: [start, start + *len) locked and mapped; the part of the locked range
// past the extent map is unlocked again ("we need to unlock only the end area that we aren't using").
int btrfs_dio_iomap_begin_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t* len,
                               data_mapping* em) {
  *len = std::min<uint64_t>(*len, uint64_t(fs_info.sectorsize) * BTRFS_MAX_BIO_SECTORS);
  const uint64_t lockend = start + *len;
  if (const int r = lock_extent_direct(fs_info, inode, start, lockend, false)) return r;
  sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, start));
  *em = btrfs_get_extent(fs_info, inode, start);
  *len = std::min(*len, em->start + em->len - start);
  if (start + *len < lockend) unlock_extent(inode, start + *len, lockend);
  return 0;
}

// btrfs_submit_direct for a read: checksums looked up first, one bio; its completion verifies (and
// repairs) the data, copies it out and unlocks the range (btrfs_end_dio_bio, btrfs_dio_private_put).
// `at`: where its bytes go in state->data.
std::shared_ptr<sched::Completion> btrfs_submit_direct_read(btrfs_fs_info& fs_info, btrfs_inode& inode,
                                                            uint64_t file_offset, uint64_t logical, uint64_t len,
                                                            uint64_t at, std::shared_ptr<dio_read_state> state) {
  auto csums = btrfs_lookup_bio_sums(fs_info, inode, logical, len);
  btrfs_check_data_bio_mapped(fs_info, inode, file_offset, logical, len);
  auto done = std::make_shared<sched::Completion>("dio->done");
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::read;
  bio->logical = logical;
  bio->len = len;
  bio->buf = std::make_shared<std::vector<uint8_t>>(len);
  bio->what = "btrfs_end_dio_bio";
  const uint64_t root = inode.root, ino = inode.ino;
  bio->end_io = [&fs_info, root, ino, file_offset, logical, len, at, csums = std::move(csums), state,
                 done](btrfs_bio& b) {
    btrfs_inode* in = btrfs_iget(fs_info, root, ino);  // held by the reader until every bio is done
    FSRACE_MODEL_CHECK(in, "direct read bio of unknown ino {}", ino);
    const data_read_result r = btrfs_check_read_bio(fs_info, *in, file_offset, logical, *b.buf, csums, b.status);
    if (r.err && !state->err.err) state->err = r;
    std::copy(b.buf->begin(), b.buf->end(), state->data.begin() + at);
    unlock_extent(*in, file_offset, file_offset + len);
    done->complete();
  };
  btrfs_submit_bio(fs_info, std::move(bio));
  return done;
}

}  // namespace

int btrfs_dio_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, std::span<uint8_t> out, uint64_t* done) {
  const uint64_t end = start + out.size();
  inode.dio_count++;  // inode_dio_begin
  auto state = std::make_shared<dio_read_state>();
  state->data.resize(out.size());
  std::vector<std::shared_ptr<sched::Completion>> bios;
  uint64_t cur = start;
  while (cur < end) {  // iomap_iter: each mapping covers at least one sector
    uint64_t len = end - cur;
    data_mapping em;
    if (btrfs_dio_iomap_begin_read(fs_info, inode, cur, &len, &em) == -ENOTBLK) break;
    FSRACE_MODEL_CHECK(len > 0, "direct read ino {} offset {}: empty mapping", inode.ino, cur);
    if (em.kind == data_mapping::hole || em.kind == data_mapping::prealloc) {
      // IOMAP_HOLE: iov_iter_zero (state->data is zeroed), and btrfs_dio_iomap_end unlocks the range at once.
      unlock_extent(inode, cur, cur + len);
    } else {
      bios.push_back(btrfs_submit_direct_read(fs_info, inode, cur, em.block_start + (cur - em.start), len,
                                              cur - start, state));
    }
    cur += len;
  }
  for (auto& d : bios) d->wait_for_completion();  // the sync iocb waits for its bios
  if (--inode.dio_count == 0) inode.dio_waiters.wake_all();  // inode_dio_end
  *done = cur - start;
  std::copy_n(state->data.begin(), *done, out.begin());
  if (state->err.err) {
    fs_info.log(fmt::format("BTRFS error: direct read of ino {} offset {} failed: {}", inode.ino,
                            state->err.bad_offset, state->err.detail));
    return state->err.err;
  }
  return 0;
}

}  // namespace fsrace::model
