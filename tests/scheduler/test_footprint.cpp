// Recorded footprints (scheduler/footprint.hpp): what a step records from the scopes it runs in, the
// primitives it calls and its point's declaration, and what DPOR prunes with them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategies/forwarding_strategy.hpp"
#include "scheduler/strategy.hpp"
#include "scheduler/sync.hpp"

using namespace fsrace::sched;

namespace {

const uint64_t kA = object_id(ObjectKind::Other, "a");
const uint64_t kB = object_id(ObjectKind::Other, "b");

/// Runs the fibers spawned by `spawn` once, keeping the first fiber running while it can, and returns
/// each step's recorded footprint.
template <class Spawn>
Execution run_recorded(Spawn spawn) {
  Scheduler s(Options{1000, 64 * 1024, true, true});
  spawn(s);
  DfsStrategy dfs(0);
  return s.run(dfs, 0);
}

/// DPOR and DFS executions (unbounded, or with a preemption bound) over the program `spawn` builds.
template <class Spawn>
std::pair<uint64_t, uint64_t> dpor_and_dfs(Spawn spawn, unsigned bound) {
  Scheduler s;
  DporStrategy dpor(bound);
  do {
    spawn(s);
    const Execution ex = s.run(dpor, 0);
    REQUIRE(ex.finding.kind == FindingKind::None);
  } while (dpor.next());
  DfsStrategy dfs(bound);
  uint64_t dfs_runs = 0;
  do {
    spawn(s);
    s.run(dfs, 0);
    ++dfs_runs;
  } while (dfs.next());
  return {dpor.executions(), dfs_runs};
}

}  // namespace

TEST_CASE("footprint: a step records the scopes it ran in", "[footprint]") {
  const Execution ex = run_recorded([](Scheduler& s) {
    s.spawn("F", [] {
      FootprintScope outer(touching(kA, false));
      point(L("p1"));  // step 1: from p1 to p2, in `outer` until `inner` opens
      {
        FootprintScope inner(touching(kB));
        point(L("p2"));  // step 2: in `inner` until it closes, then `outer`'s code again
      }
      point(L("p3"));  // step 3: outer, then the body's own code, declared nothing by spawn()
    }, declared());
  });
  REQUIRE(ex.footprints.size() == 4);
  CHECK(ex.footprints[0] == touching(kA, false));            // start: the base (nothing), then outer
  CHECK(ex.footprints[1] == touching(kA, false).touch(kB));  // outer, then inner
  CHECK(ex.footprints[2] == touching(kB).touch(kA, false));  // inner, then back in outer
  CHECK(ex.footprints[3] == touching(kA, false));            // outer, then the body's own code (base)
}

TEST_CASE("footprint: undeclared by default, and a point's declaration claims the whole step", "[footprint]") {
  const Execution ex = run_recorded([](Scheduler& s) {
    s.spawn("F", [] {
      point(L("p1"));
      FootprintScope scope(touching(kA));
      point(L("p2"), declared());  // the step from p2 touches nothing, whatever scopes say
      point(L("p3"));
    });
  });
  REQUIRE(ex.footprints.size() == 4);
  CHECK(ex.footprints[0].everything());  // no start footprint given
  CHECK(ex.footprints[1].everything());  // code outside any scope before the scope opened
  CHECK(ex.footprints[2].empty());
  CHECK(ex.footprints[3].everything());  // in `scope`, then it closed: the body's code ran on
}

TEST_CASE("footprint: primitives add their own object, told apart by instance", "[footprint]") {
  auto m1 = std::make_shared<Mutex>("m");
  auto m2 = std::make_shared<Mutex>("m");
  m2->set_instance(2);
  const Execution ex = run_recorded([&](Scheduler& s) {
    s.spawn("F", [m1, m2] {
      FootprintScope scope(declared());
      m1->lock();
      m1->unlock();
      m2->lock();
      touch_step(kA, false);
    }, declared());
  });
  REQUIRE(ex.footprints.size() == 4);
  CHECK(ex.footprints[1] == touching(lock_id("m")));
  CHECK(ex.footprints[2] == touching(lock_id("m")));
  CHECK(ex.footprints[3] == touching(lock_id("m", 2)).touch(kA, false));
  CHECK(lock_id("m") != lock_id("m", 2));
}

TEST_CASE("footprint: a primitive's kept id follows its instance and name (LockIdCache)", "[footprint]") {
  // The id is kept from the primitive's last operation: renumbered after it, the primitive must record
  // its new object, never the one it kept.
  auto m = std::make_shared<Mutex>("m");
  const Execution ex = run_recorded([&](Scheduler& s) {
    s.spawn("F", [m] {
      FootprintScope scope(declared());
      m->lock();
      m->unlock();
      m->set_instance(3);
      m->lock();
    }, declared());
  });
  REQUIRE(ex.footprints.size() == 4);
  CHECK(ex.footprints[2] == touching(lock_id("m")));
  CHECK(ex.footprints[3] == touching(lock_id("m", 3)));
  LockIdCache cache;
  const char* a = "fs_info->balance_mutex";
  const char* b = "inode->i_rwsem";
  CHECK(cache.id(a, 0) == lock_id(a));
  CHECK(cache.id(b, 0) == lock_id(b));  // another name at the same instance
  CHECK(cache.id(b, 7) == lock_id(b, 7));
  CHECK(cache.id(a, 0) == lock_id(a));
}

TEST_CASE("footprint: a step that blocks in a primitive records only its object, the step that resumes the caller's claim", "[footprint]") {
  SECTION("completion and mutex: the blocking steps drop the caller's claim") {
    auto m = std::make_shared<Mutex>("m");
    auto c = std::make_shared<Completion>("c");
    const Execution ex = run_recorded([&](Scheduler& s) {
      s.spawn("G", [m, c] {
        FootprintScope scope(touching(kB));
        m->lock();
        c->wait_for_completion();  // blocks: F completes it
        m->unlock();
      }, declared());
      s.spawn("F", [m, c] {
        FootprintScope scope(touching(kA));
        c->complete();
        m->lock();  // blocks: G holds m
        point(L("f"));
      }, declared());
    });
    REQUIRE(ex.footprints.size() == 10);
    CHECK(ex.footprints[1] == touching(kB).touch(lock_id("m")));  // mutex_lock(m), G's code up to the wait
    CHECK(ex.footprints[2] == touching(lock_id("c")));              // wait_for_completion(c), blocked
    CHECK(ex.footprints[4] == touching(kA).touch(lock_id("c")));    // complete(c), F's code up to the lock
    CHECK(ex.footprints[5] == touching(lock_id("m")));              // mutex_lock(m), blocked
    CHECK(ex.footprints[6] == touching(kB).touch(lock_id("c")));    // G woken: takes the count, G's code
    CHECK(ex.footprints[8] == touching(kA));                        // F woken owning m: F's code
  }
  SECTION("wait_event: the blocking step ran the condition, the resumed one nothing") {
    auto q = std::make_shared<WaitQueue>("q");
    auto flag = std::make_shared<bool>(false);
    const Execution ex = run_recorded([&](Scheduler& s) {
      s.spawn("G", [q, flag] {
        FootprintScope scope(touching(kB));
        q->wait_event([flag] { return *flag; });
        point(L("g"));
      }, declared());
      s.spawn("F", [q, flag] {
        FootprintScope scope(touching(kA));
        *flag = true;
        q->wake_up();
      }, declared());
    });
    REQUIRE(ex.footprints.size() == 7);
    CHECK(ex.footprints[1] == touching(kB).touch(lock_id("q")));  // wait_event(q): cond() false, blocked
    CHECK(ex.footprints[4].empty());                              // G woken: only back to its point
    CHECK(ex.footprints[5] == touching(kB).touch(lock_id("q")));  // wait_event(q) again: cond() true
  }
}

TEST_CASE("footprint: the locks the data-path scenarios take have a bit each (kLockSeed)", "[footprint]") {
  // Every primitive (name and instance) that DPOR recorded on relocation-vs-nocow-write,
  // relocation-vs-dio-reserve and dev-replace-vs-write in their first 3,000 executions at bound 1 (session
  // 20), with the instances of node locks and inode locks around them. A lock sharing a bit is
  // sound but makes DPOR reverse steps that commute: when this fails, search for a kLockSeed that gives
  // every lock here (and any new one) a bit of its own.
  const std::pair<const char*, uint64_t> locks[] = {
      {"bio completion", 0},
      {"block_group->nocow_writers", 0},
      {"block_group->reservations", 0},
      {"btrfs_delayed_ref_head->mutex", 0},
      {"btrfs_root->node lock", 1},
      {"btrfs_root->node lock", uint64_t(-9)},
      {"btrfs_root->node lock", 2},
      {"btrfs_root->node lock", 3},
      {"btrfs_root->node lock", 4},
      {"btrfs_root->node lock", 5},
      {"btrfs_root->node lock", 7},
      {"dev_replace->lock_finishing_cancel_unmount", 0},
      {"dev_replace->rwsem", 0},
      {"dio->done", 0},
      {"dir->i_rwsem", 0},
      {"fs_devices->device_list_mutex", 0},
      {"fs_info->balance_mutex", 0},
      {"fs_info->balance_wait_q", 0},
      {"fs_info->chunk_mutex", 0},
      {"fs_info->cleaner_mutex", 0},
      {"fs_info->commit_root_sem", 0},
      {"fs_info->delalloc_root_mutex", 0},
      {"fs_info->ordered_operations_mutex", 0},
      {"fs_info->reclaim_bgs_lock", 0},
      {"fs_info->ro_block_group_mutex", 0},
      {"fs_info->scrub_lock", 0},
      {"fs_info->scrub_pause_wait", 0},
      {"fs_info->trans_lock", 0},
      {"fs_info->transaction_wait", 0},
      {"inode->i_rwsem", 257},
      {"inode->i_rwsem", 258},
      {"leaf lock (csum tree)", 0},
      {"leaf lock (file extent items)", 257},
      {"leaf lock (file extent items)", 258},
      {"space_info->chunk_alloc", 0},
      {"space_info->groups_sem", 0},
      {"transaction->commit_wait", 0},
      {"transaction->writer_wait", 0},
  };
  std::vector<uint64_t> ids;
  for (const auto& [name, instance] : locks) {
    const uint64_t id = lock_id(name, instance);
    INFO(name << " #" << instance << " -> " << id);
    CHECK(std::find(ids.begin(), ids.end(), id) == ids.end());
    CHECK(id < kind_bits(ObjectKind::Lock).width);
    ids.push_back(id);
  }
}

namespace {
/// Keeps the lowest runnable fiber, says whether it wants footprints, and keeps what step_done() gave it.
class Observer final : public Strategy {
 public:
  explicit Observer(bool wants) : wants_(wants) {}
  void begin(uint64_t) override { seen.clear(); }
  size_t choose(const Decision&) override { return 0; }
  void step_done(const Footprint& f) override { seen.push_back(f); }
  bool wants_footprints() const override { return wants_; }
  std::vector<Footprint> seen;

 private:
  bool wants_;
};

/// One fiber: steps in a scope that touches kA and a lock, then a step in a scope that touches kB.
/// `inside` gets recording_footprints() as the fiber saw it.
void two_scoped_steps(Scheduler& s, std::shared_ptr<Mutex> m, std::shared_ptr<bool> inside) {
  s.spawn("F", [m, inside] {
    *inside = recording_footprints();
    {
      FootprintScope a(touching(kA));
      m->lock();
      m->unlock();
    }
    FootprintScope b(touching(kB));
    point(L("p"));
  }, declared());
}
}  // namespace

TEST_CASE("footprint: recorded only when the strategy or the options ask, through forwarding wrappers", "[footprint]") {
  auto m = std::make_shared<Mutex>("m");
  auto inside = std::make_shared<bool>(false);
  SECTION("a strategy that wants footprints gets them, also through a ForwardingStrategy") {
    Observer observer(true);
    ForwardingStrategy wrapper(observer);
    Scheduler s;
    two_scoped_steps(s, m, inside);
    const Execution ex = s.run(wrapper, 0);
    CHECK(*inside);
    REQUIRE(observer.seen.size() == ex.steps);
    Footprint all = declared();
    for (const Footprint& f : observer.seen) all |= f;
    CHECK(all == touching(kA).touch(kB).touch(lock_id("m")));  // every step declared: nothing else
    CHECK(observer.seen.back() == touching(kB));                // p .. the end, in b
  }
  SECTION("a strategy that does not want them: scopes and primitives record nothing") {
    Observer observer(false);
    Scheduler s;
    two_scoped_steps(s, m, inside);
    const Execution ex = s.run(observer, 0);
    CHECK_FALSE(*inside);
    CHECK(ex.footprints.empty());
    REQUIRE(observer.seen.size() == ex.steps);
    for (const Footprint& f : observer.seen) CHECK(f.everything());  // nothing recorded: undeclared, never less
  }
  SECTION("Options::record_footprints records them for any strategy") {
    Observer observer(false);
    Scheduler s(Options{1000, 64 * 1024, true, true});
    two_scoped_steps(s, m, inside);
    const Execution ex = s.run(observer, 0);
    CHECK(*inside);
    REQUIRE(ex.footprints.size() == ex.steps);
    CHECK(ex.footprints == observer.seen);
    CHECK(ex.footprints.back() == touching(kB));
  }
}

TEST_CASE("footprint: kind masks are every bit of the kind and none of another", "[footprint]") {
  for (size_t k = 0; k < static_cast<size_t>(ObjectKind::kCount); ++k) {
    const ObjectKind kind = static_cast<ObjectKind>(k);
    const KindBits bits = kind_bits(kind);
    unsigned set = 0;
    kind_mask(kind).for_each([&](unsigned b) {
      CHECK(b >= bits.base);
      CHECK(b < bits.base + bits.width);
      ++set;
    });
    CHECK(set == bits.width);
  }
}

TEST_CASE("footprint: dependence by read and write sets", "[footprint]") {
  CHECK_FALSE(dependent(touching(kA, false), touching(kA, false)));  // two reads commute
  CHECK(dependent(touching(kA, false), touching(kA)));
  CHECK(dependent(touching(kA), touching(kA)));
  CHECK(dependent(Footprint{}, touching(kA, false)));
  CHECK_FALSE(dependent(Footprint{}, declared()));
  CHECK(dependent(declared().touch_kind(ObjectKind::Other), touching(kB, false)));  // every instance of a kind
  CHECK_FALSE(dependent(declared().touch_kind(ObjectKind::Inode), touching(kB)));
  CHECK(describe(Footprint{}) == "everything");
  CHECK(describe(declared()) == "nothing");
  CHECK(describe(touching(object_id(ObjectKind::Transaction)).reads_from(object_id(ObjectKind::SpaceInfo))) ==
        "W Transaction R SpaceInfo");
}

// Two fibers, each a run of steps in scopes: disjoint objects commute, a shared written one does not.
TEST_CASE("footprint: DPOR prunes the orders of steps whose scopes touch different objects", "[footprint][dpor]") {
  auto program = [](bool share) {
    return [share](Scheduler& s) {
      auto counters = std::make_shared<std::vector<int>>(2, 0);
      for (int f = 0; f < 2; ++f)
        s.spawn("F" + std::to_string(f), [counters, f, share] {
          const uint64_t mine = object_id(ObjectKind::Other, static_cast<uint64_t>(f) + 10);
          FootprintScope scope(touching(share ? kA : mine));
          for (int k = 0; k < 3; ++k) {
            point(L("step {}", static_cast<uint64_t>(k)));
            (*counters)[share ? 0 : static_cast<size_t>(f)] += k + f;
          }
        }, declared());
    };
  };
  REQUIRE(object_id(ObjectKind::Other, 10) != object_id(ObjectKind::Other, 11));
  const auto [disjoint_dpor, disjoint_dfs] = dpor_and_dfs(program(false), DporStrategy::kUnbounded);
  CHECK(disjoint_dpor == 1);  // one Mazurkiewicz trace
  CHECK(disjoint_dfs == 70);  // C(8,4) interleavings of two runs of 4 steps (start and 3 points)
  const auto [shared_dpor, shared_dfs] = dpor_and_dfs(program(true), DporStrategy::kUnbounded);
  CHECK(shared_dpor == 70);   // every order of the writes differs
  CHECK(shared_dfs == 70);
  const auto [bounded_dpor, bounded_dfs] = dpor_and_dfs(program(false), 1);
  CHECK(bounded_dpor == 1);
  CHECK(bounded_dfs > 1);
}
