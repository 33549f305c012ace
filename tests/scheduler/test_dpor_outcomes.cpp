// The outcome-set harness (outcome_sets.hpp) catches a footprint that lies. Fiber A increments x by a
// load and a store; fiber B writes x = 10, then reads it back. B reading A's store (r = 1 or 11) needs A's
// store between B's two steps. Declared honestly, DPOR reaches every final state DFS reaches; when A's
// store declares that it touches nothing, DPOR takes it to commute with B's read and never runs it
// between B's steps: the harness reports the missing outcomes.
#include <catch2/catch.hpp>

#include <memory>

#include "scheduler/footprint.hpp"
#include "scheduler/strategy.hpp"
#include "tests/scheduler/outcome_sets.hpp"

using namespace fsrace::sched;
using fsrace::sched::testing::collect_outcomes;
using fsrace::sched::testing::missing_from;
using fsrace::sched::testing::OutcomeSet;

namespace {

struct Shared {
  int64_t x = 0, r = -1;
};

const uint64_t kX = object_id(ObjectKind::Other, "x");
Footprint reads(uint64_t id) { return touching(id, false); }

OutcomeSet outcomes(Strategy& strategy, bool lie, uint64_t limit = 100000) {
  Scheduler sched;
  auto run_one = [&](auto& s) {
    auto st = std::make_shared<Shared>();
    sched.spawn("A", [st, lie] {
      point(L("load x"), reads(kX));  // the step from here to the next point: reads x
      const int64_t v = st->x;
      point(L("store x"), lie ? declared() : touching(kX));  // the lie: this step writes x
      st->x = v + 1;
    });
    sched.spawn("B", [st] {
      point(L("write x"), touching(kX));
      st->x = 10;
      point(L("read x"), reads(kX));
      st->r = st->x;
    });
    Execution ex = sched.run(s, 0);
    return std::pair{ex, static_cast<uint64_t>(st->x * 1000 + st->r)};
  };
  if (auto* dfs = dynamic_cast<DfsStrategy*>(&strategy)) return collect_outcomes(*dfs, run_one, limit);
  auto* dpor = dynamic_cast<DporStrategy*>(&strategy);
  REQUIRE(dpor != nullptr);
  return collect_outcomes(*dpor, run_one, limit);
}

}  // namespace

TEST_CASE("dpor outcome harness: honest footprints reach DFS's outcomes, a lying one is caught", "[dpor][harness]") {
  for (unsigned bound : {2u, DporStrategy::kUnbounded}) {
    INFO("bound " << bound);
    DfsStrategy dfs(bound);
    const OutcomeSet all = outcomes(dfs, false);
    REQUIRE(all.exhausted);
    // x, r: B alone before or after A, B inside A's increment, and A's store between B's steps.
    CHECK(all.outcomes.size() == 5);
    DfsStrategy dfs_lie(bound);
    CHECK(outcomes(dfs_lie, true).outcomes == all.outcomes);  // DFS ignores footprints

    DporStrategy honest(bound);
    const OutcomeSet h = outcomes(honest, false);
    CHECK(h.exhausted);
    CHECK(missing_from(all, h).empty());
    CHECK(missing_from(h, all).empty());
    CHECK(h.executions < all.executions);

    DporStrategy lying(bound);
    const OutcomeSet l = outcomes(lying, true);
    CHECK(l.exhausted);
    const std::string missed = missing_from(all, l);
    INFO("missed by the lying DPOR:\n" << missed);
    CHECK_FALSE(missed.empty());
    CHECK(l.outcomes.size() < all.outcomes.size());
  }
}
