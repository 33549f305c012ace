// Balance pause, cancel and resume (volumes.c btrfs_pause_balance / btrfs_cancel_balance, ioctl.c
// btrfs_ioctl_balance with BTRFS_BALANCE_RESUME, relocation.c btrfs_should_cancel_balance): the
// errnos 6.1 returns, a pause between chunks that a resume finishes, a cancel inside relocation that
// leaves a consistent filesystem, and cancel explored against a running balance with every fix on.
#include <catch2/catch.hpp>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/data/data_check.hpp"
#include "model/fsck.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/device_add.hpp"
#include "scheduler/strategy.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_relocation_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;

// Two synced files in the data group, every fix on.
std::unique_ptr<btrfs_fs_info> make_populated_fs() {
  auto fs = make_fs();
  fs->fixes = fix_set::all_on();
  run_in_fiber([&] {
    for (int i = 0; i < 2; ++i) {
      btrfs_inode& f = create_file(*fs, fmt::format("f{}", i));
      REQUIRE(btrfs_buffered_write(*fs, f, 0, pattern_bytes(i + 1, 0, 64 * K), "write (setup)") == 0);
      btrfs_iput(*fs, f);
    }
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  return fs;
}

std::vector<uint64_t> chunk_starts(const btrfs_fs_info& fs) {
  std::vector<uint64_t> v;
  for (const auto& [start, bg] : fs.block_group_cache_tree) v.push_back(start);
  return v;
}

size_t still_there(const btrfs_fs_info& fs, const std::vector<uint64_t>& starts) {
  size_t n = 0;
  for (uint64_t s : starts) n += fs.block_group_cache_tree.count(s);
  return n;
}

void check_consistent(btrfs_fs_info& fs) {
  run_in_fiber([&] { REQUIRE(btrfs_commit_current(fs) == 0); });
  CHECK(fsck_and_oracle_problems(fs).empty());
}

// The balance (every type) in one fiber and `other` in a second, which first waits (polling at
// scheduling points) until `ready` holds; random strategy, seed 1.
struct two_threads {
  int balance_ret = 1, other_ret = 1;
  sched::Execution ex;
};
two_threads run_against_balance(btrfs_fs_info& fs, const std::function<bool()>& ready,
                                const std::function<int()>& other) {
  two_threads r;
  sched::Scheduler s;
  s.spawn("balance", [&] { r.balance_ret = btrfs_balance(fs, btrfs_balance_control{}); });
  s.spawn("ctl", [&] {
    while (!ready()) sched::point(sched::L("test: wait for the balance"));
    r.other_ret = other();
  });
  sched::RandomStrategy random;
  r.ex = s.run(random, 1);
  return r;
}

}  // namespace

TEST_CASE("balance_ctl: pause, cancel and resume with no balance give -ENOTCONN", "[model][balance_ctl]") {
  auto fs = make_populated_fs();
  run_in_fiber([&] {
    CHECK(btrfs_pause_balance(*fs) == -ENOTCONN);
    CHECK(btrfs_cancel_balance(*fs) == -ENOTCONN);
    CHECK(btrfs_resume_balance(*fs) == -ENOTCONN);
    CHECK_FALSE(fs->flags & BTRFS_FS_EXCL_OP);  // the resume's exclusive operation is given back
    // Another exclusive operation (resize, device replace) holds BTRFS_FS_EXCL_OP without a balance.
    fs->flags |= BTRFS_FS_EXCL_OP;
    CHECK(btrfs_resume_balance(*fs) == -EBUSY);
    CHECK(btrfs_balance(*fs, btrfs_balance_control{}) == -EBUSY);
    fs->flags &= ~BTRFS_FS_EXCL_OP;
  });
  CHECK_FALSE(fs->balance_ctl);
}

TEST_CASE("balance_ctl: a pause stops the balance between chunks and a resume finishes it", "[model][balance_ctl]") {
  auto fs = make_populated_fs();
  const std::vector<uint64_t> before = chunk_starts(*fs);
  REQUIRE(before.size() >= 3);
  btrfs_fs_info& f = *fs;
  two_threads r = run_against_balance(
      f, [&] { return f.balance_ctl && f.balance_ctl->stat.completed >= 1; }, [&] { return btrfs_pause_balance(f); });
  INFO(sched::to_string(r.ex.finding.kind) << ": " << r.ex.finding.message);
  REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
  CHECK(r.other_ret == 0);
  CHECK(r.balance_ret == -ECANCELED);  // pause returns the balance to user space with -ECANCELED
  // Paused: balance_ctl and the exclusive operation stay, nothing runs.
  REQUIRE(f.balance_ctl);
  CHECK(f.exclop_balance_paused);
  CHECK(f.flags & BTRFS_FS_EXCL_OP);
  CHECK_FALSE(f.flags & BTRFS_FS_BALANCE_RUNNING);
  CHECK(f.balance_pause_req == 0);
  const size_t left = still_there(f, before);
  CHECK(left >= 1);
  CHECK(left < before.size());
  check_consistent(f);

  run_in_fiber([&] {
    CHECK(btrfs_pause_balance(f) == -ENOTCONN);                    // paused already
    CHECK(btrfs_balance(f, btrfs_balance_control{}) == -EINPROGRESS);  // a new start while paused
    CHECK(f.exclop_balance_paused);
    CHECK(btrfs_resume_balance(f) == 0);
  });
  CHECK_FALSE(f.balance_ctl);
  CHECK_FALSE(f.exclop_balance_paused);
  CHECK_FALSE(f.flags & (BTRFS_FS_EXCL_OP | BTRFS_FS_BALANCE_RUNNING));
  CHECK(still_there(f, before) == 0);  // every chunk relocated (all far below the resume's 90% usage)
  check_consistent(f);
}

TEST_CASE("balance_ctl: a cancel inside relocation returns -ECANCELED and leaves the filesystem consistent",
          "[model][balance_ctl]") {
  auto fs = make_populated_fs();
  const std::vector<uint64_t> before = chunk_starts(*fs);
  btrfs_fs_info& f = *fs;
  // Cancel while a chunk is being relocated: relocation stops after its current extent.
  two_threads r = run_against_balance(
      f, [&] { return bool(f.flags & BTRFS_FS_RELOC_RUNNING); }, [&] { return btrfs_cancel_balance(f); });
  INFO(sched::to_string(r.ex.finding.kind) << ": " << r.ex.finding.message);
  REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
  CHECK(r.other_ret == 0);
  CHECK(r.balance_ret == -ECANCELED);
  CHECK_FALSE(f.balance_ctl);
  CHECK_FALSE(f.flags & (BTRFS_FS_EXCL_OP | BTRFS_FS_BALANCE_RUNNING | BTRFS_FS_RELOC_RUNNING));
  CHECK(f.balance_cancel_req == 0);
  CHECK(still_there(f, before) >= 1);
  for (const auto& [start, bg] : f.block_group_cache_tree) CHECK_FALSE(bg->ro);  // the canceled group is writable again
  check_consistent(f);
  // Nothing left over: a new balance runs to the end.
  int ret = 1;
  run_in_fiber([&] { ret = btrfs_balance(f, btrfs_balance_control{}); });
  CHECK(ret == 0);
  CHECK(still_there(f, before) == 0);
  check_consistent(f);
}

TEST_CASE("balance_ctl: a cancel of a paused balance frees it, and resume then has nothing", "[model][balance_ctl]") {
  auto fs = make_populated_fs();
  btrfs_fs_info& f = *fs;
  two_threads r = run_against_balance(
      f, [&] { return f.balance_ctl && f.balance_ctl->stat.completed >= 1; }, [&] { return btrfs_pause_balance(f); });
  REQUIRE(r.balance_ret == -ECANCELED);
  REQUIRE(f.balance_ctl);
  run_in_fiber([&] {
    CHECK(btrfs_cancel_balance(f) == 0);
    CHECK_FALSE(f.balance_ctl);
    CHECK_FALSE(f.flags & BTRFS_FS_EXCL_OP);
    CHECK(btrfs_resume_balance(f) == -ENOTCONN);
    CHECK(btrfs_cancel_balance(f) == -ENOTCONN);
  });
  check_consistent(f);
}

TEST_CASE("balance_ctl: cancel against a running data balance, DFS bound 2 exhausted, clean with every fix on",
          "[model][balance_ctl][race]") {
  auto prepared = make_populated_fs();
  freeze(*prepared);
  sched::Scheduler s(sched::Options{.max_steps = 20000});
  sched::DfsStrategy dfs(2);
  uint64_t executions = 0, canceled = 0, not_connected = 0;
  do {
    btrfs_fs_info fs(*prepared);
    int balance_ret = 1, cancel_ret = 1;
    s.spawn("balance", [&] {
      btrfs_balance_control bctl;
      bctl.flags = BTRFS_BALANCE_DATA;
      balance_ret = btrfs_balance(fs, bctl);
    });
    s.spawn("cancel", [&] { cancel_ret = btrfs_cancel_balance(fs); });
    sched::Execution ex = s.run(dfs, 0);
    ++executions;
    INFO(fmt::format("execution {}: {}: {}", executions, sched::to_string(ex.finding.kind), ex.finding.message));
    REQUIRE(ex.finding.kind == sched::FindingKind::None);
    REQUIRE((balance_ret == 0 || balance_ret == -ECANCELED));
    REQUIRE((cancel_ret == 0 || cancel_ret == -ENOTCONN));
    // A cancel that found the balance running waited for it; a balance past its last check (no chunk
    // left) still ends with 0, as in 6.1.
    canceled += balance_ret == -ECANCELED;
    not_connected += cancel_ret == -ENOTCONN;
    REQUIRE_FALSE(fs.balance_ctl);
    REQUIRE_FALSE(fs.flags & (BTRFS_FS_EXCL_OP | BTRFS_FS_BALANCE_RUNNING));
    REQUIRE(fs.balance_cancel_req == 0);
    const auto problems = btrfs_check(fs);
    INFO(fmt::format("fsck:\n{}", fmt::join(problems, "\n")));
    REQUIRE(problems.empty());
    const auto lost = btrfs_check_data_against_oracle(fs);
    INFO(fmt::format("oracle:\n{}", fmt::join(lost, "\n")));
    REQUIRE(lost.empty());
  } while (dfs.next() && executions < 200000);
  CHECK(dfs.exhausted());
  CHECK(canceled > 0);
  CHECK(not_connected > 0);
  WARN(fmt::format("cancel vs balance, DFS p2: {} executions, {} canceled, {} cancels before or after", executions,
                   canceled, not_connected));
}

TEST_CASE("balance_ctl: pause then resume against a running data balance, DFS bound 1 exhausted, clean with every fix on",
          "[model][balance_ctl][race]") {
  auto prepared = make_populated_fs();
  freeze(*prepared);
  sched::Scheduler s(sched::Options{.max_steps = 20000});
  sched::DfsStrategy dfs(1);
  uint64_t executions = 0, paused = 0, resumed = 0;
  do {
    btrfs_fs_info fs(*prepared);
    int balance_ret = 1, pause_ret = 1, resume_ret = 1;
    s.spawn("balance", [&] {
      btrfs_balance_control bctl;
      bctl.flags = BTRFS_BALANCE_DATA;
      balance_ret = btrfs_balance(fs, bctl);
    });
    s.spawn("ctl", [&] {
      pause_ret = btrfs_pause_balance(fs);
      resume_ret = btrfs_resume_balance(fs);
    });
    sched::Execution ex = s.run(dfs, 0);
    ++executions;
    INFO(fmt::format("execution {}: {}: {}", executions, sched::to_string(ex.finding.kind), ex.finding.message));
    REQUIRE(ex.finding.kind == sched::FindingKind::None);
    INFO(fmt::format("balance {}, pause {}, resume {}", balance_ret, pause_ret, resume_ret));
    // -EBUSY: the resume (nothing paused yet) held the exclusive operation when the balance started.
    REQUIRE((balance_ret == 0 || balance_ret == -ECANCELED || balance_ret == -EBUSY));
    REQUIRE((pause_ret == 0 || pause_ret == -ENOTCONN));
    // -EINPROGRESS: the resume came while the balance still ran (its pause found none running);
    // -EBUSY: between the balance's end and its btrfs_exclop_finish, which the model runs after
    // balance_mutex (6.1 before it: there the resume would see -ENOTCONN).
    REQUIRE((resume_ret == 0 || resume_ret == -ENOTCONN || resume_ret == -EINPROGRESS || resume_ret == -EBUSY));
    if (balance_ret == -ECANCELED) REQUIRE(resume_ret == 0);  // paused, then finished by the resume
    paused += balance_ret == -ECANCELED;
    resumed += resume_ret == 0;
    REQUIRE_FALSE(fs.balance_ctl);
    REQUIRE_FALSE(fs.exclop_balance_paused);
    REQUIRE_FALSE(fs.flags & (BTRFS_FS_EXCL_OP | BTRFS_FS_BALANCE_RUNNING));
    REQUIRE(fs.balance_pause_req == 0);
    const auto problems = btrfs_check(fs);
    INFO(fmt::format("fsck:\n{}", fmt::join(problems, "\n")));
    REQUIRE(problems.empty());
    const auto lost = btrfs_check_data_against_oracle(fs);
    INFO(fmt::format("oracle:\n{}", fmt::join(lost, "\n")));
    REQUIRE(lost.empty());
  } while (dfs.next() && executions < 200000);
  CHECK(dfs.exhausted());
  CHECK(paused > 0);
  WARN(fmt::format("pause+resume vs balance, DFS p1: {} executions, {} paused, {} resumed", executions, paused, resumed));
}

TEST_CASE("balance_ctl: a device can be added while the balance is paused, which stays paused and resumes",
          "[model][balance_ctl][device_add]") {
  auto fs = make_populated_fs();
  btrfs_fs_info& f = *fs;
  add_spare_block_device(f, 1024ull << 20);
  const std::vector<uint64_t> before = chunk_starts(f);
  two_threads r = run_against_balance(
      f, [&] { return f.balance_ctl && f.balance_ctl->stat.completed >= 1; }, [&] { return btrfs_pause_balance(f); });
  REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
  REQUIRE(f.exclop_balance_paused);
  const size_t devices = f.devices.size();
  run_in_fiber([&] {
    // btrfs_exclop_start_try_lock: DEV_ADD is the one operation a paused balance admits.
    CHECK(btrfs_ioctl_add_dev(f, 0) == 0);
    CHECK(f.devices.size() == devices + 1);
    CHECK(f.exclop_balance_paused);  // BALANCE_PAUSED again
    CHECK(f.flags & BTRFS_FS_EXCL_OP);
    CHECK(btrfs_resume_balance(f) == 0);
  });
  CHECK_FALSE(f.balance_ctl);
  CHECK_FALSE(f.flags & BTRFS_FS_EXCL_OP);
  CHECK(still_there(f, before) == 0);
  check_consistent(f);
  // Not paused: another exclusive operation refuses the add.
  run_in_fiber([&] {
    f.flags |= BTRFS_FS_EXCL_OP;
    add_spare_block_device(f, 1024ull << 20);
    CHECK(btrfs_ioctl_add_dev(f, 1) == -EBUSY);
    f.flags &= ~BTRFS_FS_EXCL_OP;
  });
}
