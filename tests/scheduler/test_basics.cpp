// Basic behaviour of the scheduler: steps, labels, trace, findings, step bound, tool errors.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

using namespace fsrace::sched;

namespace {
/// Alternates among runnable fibers by step number: a fixed, seed-free schedule for tests.
struct Alternate final : Strategy {
  void begin(uint64_t) override {}
  size_t choose(const Decision& d) override { return d.step % d.count; }
};
}  // namespace

TEST_CASE("a fiber's steps are its start plus one per scheduling point") {
  Scheduler sched;
  RandomStrategy random;
  int done = 0;
  sched.spawn("T0", [&] {
    point(L("step {}", 1));
    point(L("step {}", 2));
    ++done;
  });
  Execution e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::None);
  CHECK(done == 1);
  REQUIRE(e.steps == 3);
  REQUIRE(e.trace.size() == 3);
  CHECK(e.decisions == std::vector<FiberId>{0, 0, 0});
  CHECK(format_label(e.trace[0].label) == "start T0");
  CHECK(format_label(e.trace[1].label) == "step 1");
  CHECK(format_label(e.trace[2].label) == "step 2");
  CHECK(e.fiber_names == std::vector<std::string>{"T0"});
  CHECK(e.preemptions == 0);
}

TEST_CASE("self() and self_name() inside fibers; nothing outside") {
  Scheduler sched;
  RandomStrategy random;
  std::vector<std::string> seen;
  for (const char* name : {"alpha", "beta"})
    sched.spawn(name, [&] {
      CHECK(in_fiber());
      seen.push_back(self_name() + "#" + std::to_string(self()));
    });
  Execution e = sched.run(random, 7);
  CHECK(e.finding.kind == FindingKind::None);
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"alpha#0", "beta#1"});
  CHECK_FALSE(in_fiber());
  CHECK(self() == kNoFiber);
  point(L("outside"));  // a no-op outside a fiber
}

TEST_CASE("BUG_ON ends the execution with the fiber, step and message; others are unwound") {
  Scheduler sched;
  Alternate alternate;
  bool unwound = false;
  struct Guard {
    bool* flag;
    ~Guard() { *flag = true; }
  };
  sched.spawn("waiter", [&] {
    Guard g{&unwound};
    for (int i = 0; i < 1000; ++i) point(L("spin {}", i));
  });
  sched.spawn("buggy", [&] {
    point(L("check"));
    int ro = -1;
    FSRACE_BUG_ON(ro < 0, "ro {} below zero", ro);
  });
  Execution e = sched.run(alternate, 0);
  REQUIRE(e.finding.kind == FindingKind::Bug);
  CHECK(e.finding.fiber == 1);
  CHECK(e.finding.message.find("BUG_ON(ro < 0)") != std::string::npos);
  CHECK(e.finding.message.find("ro -1 below zero") != std::string::npos);
  REQUIRE(e.finding.step < e.trace.size());
  CHECK(e.trace[e.finding.step].fiber == 1);
  CHECK(format_label(e.trace[e.finding.step].label) == "check");
  CHECK(unwound);
}
