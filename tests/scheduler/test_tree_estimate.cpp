// The estimate of a preemption-bounded DFS space (tree_estimate.hpp) against the exact count of the DFS
// itself, on programs of the scheduler's primitives: long independent runs (where the step-wise probe ran
// orders of magnitude low), mutexes, wait queues and completions (free choices where a fiber blocks).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "scheduler/sync.hpp"
#include "tests/scheduler/programs.hpp"

using namespace fsrace::sched;

namespace {

using Spawn = std::function<void(Scheduler&)>;

// The DFS's executions, or limit + 1 when there are more.
uint64_t dfs_count(const Spawn& spawn, unsigned bound, uint64_t limit = 1000000) {
  Scheduler sched;
  DfsStrategy dfs(bound);
  uint64_t n = 0;
  do {
    spawn(sched);
    sched.run(dfs, 0);
    ++n;
  } while (dfs.next() && n <= limit);
  return n;
}

TreeEstimate estimate(const Spawn& spawn, unsigned bound, uint64_t run_budget) {
  Scheduler sched;
  EstimateLimits limits;
  limits.run_budget = run_budget;
  return estimate_bounded_dfs(
      [&](Strategy& s, Execution& ex) {
        spawn(sched);
        sched.run_into(s, 0, ex);
      },
      bound, limits, 42);
}

// Fibers of `steps` independent steps each.
Spawn independent(std::vector<int> steps) {
  return [steps](Scheduler& s) {
    for (size_t i = 0; i < steps.size(); ++i)
      s.spawn("F" + std::to_string(i), [n = steps[i]] {
        for (int k = 1; k < n; ++k) point(L("step {}", static_cast<uint64_t>(k)));
      });
  };
}

// Workers that take one mutex around a few steps, several times: they block on each other.
Spawn contended(int fibers, int rounds, int held) {
  return [=](Scheduler& s) {
    auto lock = std::make_shared<Mutex>("m");
    for (int f = 0; f < fibers; ++f)
      s.spawn("W" + std::to_string(f), [=] {
        for (int r = 0; r < rounds; ++r) {
          point(L("before"));
          lock->lock();
          for (int k = 0; k < held; ++k) point(L("held"));
          lock->unlock();
        }
      });
  };
}

}  // namespace

TEST_CASE("the bounded DFS estimate is settled and within its error of the exact count") {
  struct Case {
    std::string name;
    Spawn spawn;
    bool must_settle;  // the continuation predicts its subtrees well enough for 10,000 runs of probes
  };
  const std::vector<Case> cases = {
      {"two long independent fibers", independent({40, 40}), true},
      {"three independent fibers", independent({25, 20, 15}), true},
      {"contended mutex", contended(3, 3, 3), true},
      {"rich program (queue, atomics, completion)", [](Scheduler& s) { testing::spawn_rich(s); }, false},
  };
  for (const auto& c : cases)
    for (unsigned bound : {1u, 2u, 3u}) {
      const uint64_t truth = dfs_count(c.spawn, bound, 20000);
      if (truth > 20000) continue;  // keep the test fast
      const TreeEstimate e = estimate(c.spawn, bound, 10000);
      INFO(c.name << ", bound " << bound << ": " << truth << " executions, estimated " << e.executions << " +- "
                  << 100 * e.relative_error << "% (" << e.probes << " probes, " << e.runs << " runs)");
      CHECK(e.probes >= 64);
      if (c.must_settle) CHECK(e.settled());
      // What matters most: a settled estimate is right (within three standard errors, and within 40%).
      if (e.settled()) {
        const double off = std::abs(e.executions - static_cast<double>(truth));
        CHECK(off <= 3 * e.relative_error * e.executions + 1e-9);
        CHECK(off <= 0.4 * static_cast<double>(truth));
      }
    }
}

TEST_CASE("at bound 0 only the free choices branch, and the estimate counts them exactly") {
  // Nothing runs before the first step: which fiber starts (then which of the rest) is free: 3! orders.
  CHECK(dfs_count(independent({30, 30, 30}), 0) == 6);
  const TreeEstimate e = estimate(independent({30, 30, 30}), 0, 1000);
  CHECK(e.executions == 6);
  CHECK(e.relative_error == 0);
  CHECK(e.settled());
}

TEST_CASE("probes that cannot reach the bottom of the tree leave the estimate unsettled") {
  Scheduler sched;
  EstimateLimits limits;
  limits.max_levels = 2;  // an unbounded search of 3 x 10 steps has paths of many non-default choices
  const TreeEstimate e = estimate_bounded_dfs(
      [&](Strategy& s, Execution& ex) {
        independent({10, 10, 10})(sched);
        sched.run_into(s, 0, ex);
      },
      DfsStrategy::kUnbounded, limits, 1);
  CHECK(e.truncated);
  CHECK_FALSE(e.settled());
}

TEST_CASE("a stop condition (a CPU budget) ends the estimate before its next probe") {
  Scheduler sched;
  EstimateLimits limits;
  limits.run_budget = 10000;
  uint64_t asked = 0;
  limits.stop = [&asked] { return ++asked > 5; };  // five probes allowed
  const TreeEstimate e = estimate_bounded_dfs(
      [&](Strategy& s, Execution& ex) {
        independent({40, 40})(sched);
        sched.run_into(s, 0, ex);
      },
      2, limits, 42);
  CHECK(e.probes == 5);
  CHECK(asked == 6);
  CHECK_FALSE(e.settled());  // too few probes: reported as an unknown total
}
