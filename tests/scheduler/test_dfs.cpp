// Exhaustive DFS: the set of schedules it explores is compared with an independent brute-force
// enumeration of all interleavings (every arrangement of each fiber's steps), filtered by counting
// preemptions the CHESS way: switching away from a fiber that could still run is one preemption.
#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

using namespace fsrace::sched;

namespace {

using Schedule = std::vector<FiberId>;

/// Fibers with independent steps: fiber i runs steps[i] steps (its start plus steps[i]-1 points).
void spawn_independent(Scheduler& s, const std::vector<int>& steps) {
  for (size_t i = 0; i < steps.size(); ++i)
    s.spawn("F" + std::to_string(i), [n = steps[i]] {
      for (int k = 1; k < n; ++k) point(L("step {}", static_cast<uint64_t>(k)));
    });
}

/// All interleavings of the fibers' steps with at most `bound` preemptions, by recursive brute force.
void enumerate(const std::vector<int>& steps, std::vector<int>& done, Schedule& prefix, int preemptions, int bound,
               std::set<Schedule>& out) {
  bool any = false;
  for (size_t f = 0; f < steps.size(); ++f) {
    if (done[f] == steps[f]) continue;
    any = true;
    int cost = 0;
    if (!prefix.empty()) {
      const FiberId last = prefix.back();
      if (last != f && done[last] < steps[last]) cost = 1;  // `last` could have continued
    }
    if (preemptions + cost > bound) continue;
    prefix.push_back(static_cast<FiberId>(f));
    ++done[f];
    enumerate(steps, done, prefix, preemptions + cost, bound, out);
    --done[f];
    prefix.pop_back();
  }
  if (!any) out.insert(prefix);
}

std::set<Schedule> brute_force(const std::vector<int>& steps, int bound) {
  std::set<Schedule> out;
  std::vector<int> done(steps.size(), 0);
  Schedule prefix;
  enumerate(steps, done, prefix, 0, bound, out);
  return out;
}

std::set<Schedule> explore(const std::vector<int>& steps, unsigned bound, uint64_t* executions) {
  Scheduler sched;
  DfsStrategy dfs(bound);
  std::set<Schedule> seen;
  do {
    spawn_independent(sched, steps);
    const Execution e = sched.run(dfs, 0);
    REQUIRE(e.finding.kind == FindingKind::None);
    REQUIRE(seen.insert(e.decisions).second);  // never the same schedule twice
    REQUIRE(e.preemptions <= bound);
  } while (dfs.next());
  CHECK(dfs.exhausted());
  *executions = dfs.executions();
  return seen;
}

uint64_t binomial(uint64_t n, uint64_t k) {
  uint64_t r = 1;
  for (uint64_t i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

}  // namespace

TEST_CASE("unbounded DFS of two fibers with n steps each visits exactly C(2n n) interleavings") {
  for (int n = 1; n <= 5; ++n) {
    uint64_t executions = 0;
    const std::set<Schedule> seen = explore({n, n}, DfsStrategy::kUnbounded, &executions);
    INFO("n = " << n);
    CHECK(executions == binomial(2 * n, n));
    CHECK(seen.size() == binomial(2 * n, n));
    CHECK(seen == brute_force({n, n}, 1 << 20));
  }
}

TEST_CASE("preemption-bounded DFS visits exactly the interleavings within the bound") {
  for (int n = 1; n <= 5; ++n) {
    for (unsigned bound : {0u, 1u, 2u}) {
      INFO("n = " << n << ", bound = " << bound);
      uint64_t executions = 0;
      const std::set<Schedule> seen = explore({n, n}, bound, &executions);
      const std::set<Schedule> expected = brute_force({n, n}, static_cast<int>(bound));
      CHECK(seen == expected);
      CHECK(executions == expected.size());
      if (bound == 0) CHECK(executions == 2);  // one fiber runs to the end, then the other
      // With one preemption: the first fiber is cut once after k of its n-1 non-final steps,
      // and the second then runs to completion: 2 + 2*(n-1) schedules.
      if (bound == 1) CHECK(executions == 2 + 2 * static_cast<uint64_t>(n - 1));
    }
  }
}

TEST_CASE("DFS of three fibers matches the multinomial count and the brute force") {
  uint64_t executions = 0;
  const std::set<Schedule> seen = explore({2, 2, 2}, DfsStrategy::kUnbounded, &executions);
  CHECK(executions == 90);  // 6! / (2! 2! 2!)
  CHECK(seen == brute_force({2, 2, 2}, 1 << 20));
  const std::set<Schedule> bounded = explore({2, 2, 1}, 1, &executions);
  CHECK(bounded == brute_force({2, 2, 1}, 1));
}

TEST_CASE("DFS reports a program that is not deterministic as a tool error") {
  Scheduler sched;
  DfsStrategy dfs;
  int execution = 0;
  bool reported = false;
  do {
    const bool extra_fiber = ++execution > 1;  // the program changes between executions
    sched.spawn("A", [extra_fiber] {
      if (extra_fiber) current_scheduler()->spawn("C", [] {});
      point(L("a"));
    });
    sched.spawn("B", [] { point(L("b")); });
    const Execution e = sched.run(dfs, 0);
    if (e.finding.kind == FindingKind::ToolError) {
      CHECK(e.finding.message.find("not deterministic") != std::string::npos);
      reported = true;
      break;
    }
  } while (dfs.next() && execution < 100);
  CHECK(reported);
}

namespace {

/// Every execution of a (possibly restricted) search, in the order visited.
std::vector<Schedule> sequence(const std::vector<int>& steps, DfsStrategy& dfs) {
  Scheduler sched;
  std::vector<Schedule> out;
  do {
    spawn_independent(sched, steps);
    const Execution e = sched.run(dfs, 0);
    REQUIRE(e.finding.kind == FindingKind::None);
    out.push_back(e.decisions);
  } while (dfs.next());
  return out;
}

/// The prefixes one decision below `prefix`, as the search would try them (children of its first execution).
std::vector<Schedule> children_of(const std::vector<int>& steps, unsigned bound, const Schedule& prefix) {
  Scheduler sched;
  DfsStrategy dfs(bound);
  dfs.restrict(prefix);
  spawn_independent(sched, steps);
  REQUIRE(sched.run(dfs, 0).finding.kind == FindingKind::None);
  std::vector<Schedule> out;
  for (FiberId f : dfs.children(prefix.size())) {
    out.push_back(prefix);
    out.back().push_back(f);
  }
  return out;
}

}  // namespace

TEST_CASE("DFS subtrees of a level searched in order give the whole search in the same order") {
  for (unsigned bound : {0u, 1u, 2u, DfsStrategy::kUnbounded}) {
    for (const std::vector<int>& steps : {std::vector<int>{3, 3}, std::vector<int>{2, 2, 2}, std::vector<int>{4, 1, 2}}) {
      INFO("bound " << bound << " fibers " << steps.size());
      DfsStrategy whole_dfs(bound);
      const std::vector<Schedule> whole = sequence(steps, whole_dfs);
      // Cut at depths 1, 2 and 3 (prefixes whose executions end earlier stay whole).
      std::vector<Schedule> level{Schedule{}};
      for (int depth = 1; depth <= 3; ++depth) {
        std::vector<Schedule> next;
        for (const Schedule& p : level) {
          auto kids = children_of(steps, bound, p);
          if (kids.empty()) next.push_back(p);
          next.insert(next.end(), kids.begin(), kids.end());
        }
        level = next;
        std::vector<Schedule> joined;
        for (const Schedule& p : level) {
          DfsStrategy part(bound);
          part.restrict(p);
          const std::vector<Schedule> sub = sequence(steps, part);
          for (const Schedule& s : sub) CHECK(std::equal(p.begin(), p.end(), s.begin()));
          joined.insert(joined.end(), sub.begin(), sub.end());
        }
        CHECK(level.size() > 1);
        CHECK(joined == whole);
      }
    }
  }
}

TEST_CASE("DFS restricted to a prefix that cannot be followed ends with a tool error") {
  Scheduler sched;
  DfsStrategy dfs(2);
  dfs.restrict({0, 7});
  spawn_independent(sched, {2, 2});
  const Execution e = sched.run(dfs, 0);
  CHECK(e.finding.kind == FindingKind::ToolError);
  CHECK(e.finding.message.find("not runnable") != std::string::npos);
}
