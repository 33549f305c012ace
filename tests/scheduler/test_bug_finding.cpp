// The strategies find real bugs: a depth-2 lost update (PCT and DFS), its Mutex-guarded version is
// proven clean by exhaustive DFS, and an ABBA deadlock is reported naming both waiters.
#include <catch2/catch.hpp>

#include "programs.hpp"

using namespace fsrace::sched;
using namespace fsrace::sched::testing;

TEST_CASE("PCT depth 2 finds the lost update within 200 executions") {
  Scheduler sched;
  PctStrategy pct(2);  // estimated steps adapt to the longest execution seen
  int found_at = -1;
  for (int i = 0; i < 200 && found_at < 0; ++i) {
    spawn_lost_update(sched, false);
    const Execution e = sched.run(pct, execution_seed(1, static_cast<uint64_t>(i)));
    if (e.finding.kind == FindingKind::None) continue;
    REQUIRE(e.finding.kind == FindingKind::Assert);
    CHECK(e.finding.message.find("counter is 1 after two increments") != std::string::npos);
    CHECK(e.fiber_names.at(static_cast<size_t>(e.finding.fiber)) == "checker");
    found_at = i;
  }
  CHECK(found_at >= 0);
  CHECK(pct.max_steps_seen() > 0);
}

TEST_CASE("PCT depth 1 (no change point) never preempts a runnable fiber") {
  Scheduler sched;
  PctStrategy pct(1, 50);
  for (uint64_t i = 0; i < 100; ++i) {
    spawn_lost_update(sched, false);
    const Execution e = sched.run(pct, execution_seed(2, i));
    // Strict priorities: the highest-priority fiber runs to completion or until it blocks, so the
    // two increments never interleave and the bug (depth 2) cannot show.
    CHECK(e.preemptions == 0);
    CHECK(e.finding.kind == FindingKind::None);
  }
}

TEST_CASE("DFS finds the lost update") {
  Scheduler sched;
  DfsStrategy dfs;
  bool found = false;
  do {
    spawn_lost_update(sched, false);
    const Execution e = sched.run(dfs, 0);
    if (e.finding.kind != FindingKind::None) {
      CHECK(e.finding.kind == FindingKind::Assert);
      CHECK(e.preemptions >= 1);
      found = true;
      break;
    }
  } while (dfs.next());
  CHECK(found);
  CHECK(dfs.executions() > 1);  // the default (non-preemptive) schedule is clean
}

TEST_CASE("DFS with preemption bound 1 also finds the lost update - bound 0 cannot") {
  for (unsigned bound : {0u, 1u}) {
    Scheduler sched;
    DfsStrategy dfs(bound);
    bool found = false;
    do {
      spawn_lost_update(sched, false);
      found |= sched.run(dfs, 0).finding.kind != FindingKind::None;
    } while (!found && dfs.next());
    CHECK(found == (bound == 1));
  }
}

TEST_CASE("the Mutex-guarded increment is clean under exhaustive unbounded DFS") {
  Scheduler sched;
  DfsStrategy dfs;
  uint64_t blocked_on_lock = 0;
  do {
    auto st = spawn_lost_update(sched, true);
    const Execution e = sched.run(dfs, 0);
    INFO(e.finding.message);
    REQUIRE(e.finding.kind == FindingKind::None);
    REQUIRE(st->counter == 2);
    // Some schedules make the second fiber wait for the lock: it then tries mutex_lock twice.
    int lock_attempts = 0;
    for (const Step& s : e.trace) lock_attempts += format_label(s.label) == "mutex_lock(counter_lock)";
    blocked_on_lock += lock_attempts > 2;
  } while (dfs.next());
  CHECK(dfs.exhausted());
  CHECK(dfs.executions() > 10);
  CHECK(blocked_on_lock > 0);
}

TEST_CASE("an ABBA deadlock is detected and both waiters are named") {
  Scheduler sched;
  DfsStrategy dfs;
  bool found = false;
  do {
    spawn_abba(sched);
    const Execution e = sched.run(dfs, 0);
    if (e.finding.kind == FindingKind::None) continue;
    REQUIRE(e.finding.kind == FindingKind::Deadlock);
    CHECK(e.finding.message == "T1 waits for mutex_lock(b); T2 waits for mutex_lock(a)");
    CHECK(e.finding.fiber == -1);
    CHECK(e.finding.step == e.steps);
    found = true;
    break;
  } while (dfs.next());
  CHECK(found);

  // Random walks find it too.
  RandomStrategy random;
  int deadlocks = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    spawn_abba(sched);
    deadlocks += sched.run(random, execution_seed(3, i)).finding.kind == FindingKind::Deadlock;
  }
  CHECK(deadlocks > 0);
  CHECK(deadlocks < 200);
}
