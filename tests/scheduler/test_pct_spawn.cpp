// PCT and fibers spawned during an execution (bio completions): as in Burckhardt et al. (ASPLOS 2010), a
// thread created during the run gets a random initial priority among the fibers that have one, drawn
// from the strategy's seeded PRNG. With depth 1 (no change point) the highest-priority runnable fiber
// always runs, so whether a spawned fiber runs before its parent's next step shows where it was ranked.
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

using namespace fsrace::sched;

namespace {

// A parent spawns a child between two of its steps; `order` records who took the first recorded step.
std::shared_ptr<std::vector<char>> spawn_parent_and_child(Scheduler& s, int others) {
  auto order = std::make_shared<std::vector<char>>();
  for (int i = 0; i < others; ++i)
    s.spawn("other", [order] {
      point(L("other works"));
      order->push_back('o');
    });
  s.spawn("parent", [order] {
    point(L("submit"));
    current_scheduler()->spawn("endio", [order] {
      point(L("endio"));
      order->push_back('c');
    });
    point(L("after submit"));
    order->push_back('p');
  });
  return order;
}

}  // namespace

TEST_CASE("PCT ranks a fiber spawned during the run uniformly among the fibers alive") {
  Scheduler sched;
  PctStrategy pct(1, 50);
  const int runs = 3000;
  int child_before_parent = 0;
  for (int i = 0; i < runs; ++i) {
    auto order = spawn_parent_and_child(sched, 0);
    const Execution e = sched.run(pct, execution_seed(5, static_cast<uint64_t>(i)));
    REQUIRE(e.finding.kind == FindingKind::None);
    REQUIRE(order->size() == 2);
    if ((*order)[0] == 'c') child_before_parent++;
  }
  // Two fibers: the child is above its parent in half of the permutations.
  CHECK(child_before_parent > runs * 45 / 100);
  CHECK(child_before_parent < runs * 55 / 100);
}

TEST_CASE("PCT gives a spawned fiber the rank of a uniform permutation with three fibers") {
  Scheduler sched;
  PctStrategy pct(1, 50);
  const int runs = 3000;
  int parent_first = 0, child_first = 0, child_last = 0;
  for (int i = 0; i < runs; ++i) {
    auto order = spawn_parent_and_child(sched, 1);
    const Execution e = sched.run(pct, execution_seed(6, static_cast<uint64_t>(i)));
    REQUIRE(e.finding.kind == FindingKind::None);
    REQUIRE(order->size() == 3);
    // Only runs where the parent spawned before the other fiber finished rank the child among all three.
    if ((*order)[0] == 'o') continue;
    parent_first++;
    if ((*order)[0] == 'c') child_first++;
    if ((*order)[2] == 'c') child_last++;
  }
  // Given parent > other, the child lands above the parent, between them or below the other with
  // probability 1/3 each: first, second or last to record.
  CHECK(parent_first > runs * 45 / 100);
  CHECK(parent_first < runs * 55 / 100);
  CHECK(child_first > parent_first * 25 / 100);
  CHECK(child_first < parent_first * 42 / 100);
  CHECK(child_last > parent_first * 25 / 100);
  CHECK(child_last < parent_first * 42 / 100);
}
