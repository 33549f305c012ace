// Label coverage: label kinds per fiber, and pairs of different fibers' kinds seen in both orders.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "scheduler/label_coverage.hpp"
#include "scheduler/strategy.hpp"
#include "scheduler/sync.hpp"

using namespace fsrace::sched;

namespace {

// Every delta of a collector, merged by name (as sim/label_coverage.hpp does, for one worker).
struct Merged {
  std::vector<std::pair<std::string, std::string>> nodes;
  std::set<std::pair<std::string, std::string>> before;  // ("F0: a", "F1: b"): a ran before b
  void absorb(const LabelCoverage::Delta& d) {
    REQUIRE(d.first_new == nodes.size());
    nodes.insert(nodes.end(), d.new_nodes.begin(), d.new_nodes.end());
    for (const auto& [a, b] : d.new_pairs) {
      REQUIRE(a < nodes.size());
      REQUIRE(b < nodes.size());
      before.emplace(nodes[a].first + ": " + nodes[a].second, nodes[b].first + ": " + nodes[b].second);
    }
  }
  bool ordered(const std::string& x, const std::string& y) const { return before.count({x, y}) > 0; }
};

template <class Spawn>
Merged explore_all(Spawn spawn, unsigned bound = DfsStrategy::kUnbounded) {
  Scheduler s;
  DfsStrategy dfs(bound);
  LabelCoverage coverage;
  CoveringStrategy covering(dfs, coverage);
  Merged m;
  do {
    spawn(s);
    s.run(covering, 0);
    m.absorb(coverage.take());
  } while (dfs.next());
  return m;
}

}  // namespace

TEST_CASE("label coverage: kinds leave integer arguments out and fill the string one", "[label_coverage]") {
  CHECK(label_kind(L("read_tree_block({}) of root {}", 5, 7)) == "read_tree_block(…) of root …");
  CHECK(label_kind(Ls("mutex_lock({})", "chunk_mutex")) == "mutex_lock(chunk_mutex)");
  CHECK(label_kind(Ls("{} waits {:#x}", "cleaner", 16)) == "cleaner waits …");
  CHECK(label_kind(L("literal {{braces}}")) == "literal {braces}");
}

TEST_CASE("label coverage: enabled steps are tried in both orders, a step behind a completion in one", "[label_coverage]") {
  // Free: F0 does a then b, F1 does c; every order is possible.
  const Merged free = explore_all([](Scheduler& s) {
    s.spawn("F0", [] {
      point(L("a"));
      point(L("b"));
    });
    s.spawn("F1", [] { point(L("c")); });
  });
  CHECK(free.ordered("F0: a", "F1: c"));
  CHECK(free.ordered("F1: c", "F0: a"));
  CHECK(free.ordered("F0: b", "F1: c"));
  CHECK(free.ordered("F1: c", "F0: b"));
  CHECK_FALSE(free.ordered("F0: a", "F0: b"));  // one thread's own order is not a pair

  // Ordered: F1 runs "after" only once F0 completed `done`, so F0's "before" always precedes it.
  const Merged forced = explore_all([](Scheduler& s) {
    auto done = std::make_shared<Completion>("done");
    s.spawn("F0", [done] {
      point(L("before"));
      done->complete();
    });
    s.spawn("F1", [done] {
      done->wait_for_completion();
      point(L("after"));
    });
  });
  CHECK_FALSE(forced.ordered("F1: after", "F0: before"));  // never both enabled with "after" first
  CHECK(forced.ordered("F0: before", "F1: wait_for_completion(done)"));  // F1 was enabled, waiting to wait
  CHECK(forced.ordered("F1: wait_for_completion(done)", "F0: before"));
}

TEST_CASE("label coverage: a preemption bound of 0 reorders less than an unbounded search", "[label_coverage]") {
  auto spawn = [](Scheduler& s) {
    for (int f = 0; f < 2; ++f)
      s.spawn("F" + std::to_string(f), [] {
        point(L("x"));
        point(L("y"));
      });
  };
  const Merged none = explore_all(spawn, 0);
  const Merged all = explore_all(spawn);
  CHECK(none.before.size() < all.before.size());
  CHECK(all.ordered("F1: x", "F0: y"));
  CHECK(all.ordered("F0: y", "F1: x"));
  // Without preemptions a fiber runs to its end: its steps run before the other's first one only.
  CHECK(none.ordered("F0: y", "F1: start F1"));
  CHECK_FALSE(none.ordered("F1: x", "F0: y"));
  CHECK_FALSE(none.ordered("F0: y", "F1: x"));
}
