// Basic behaviour of the scheduler: steps, labels, trace, findings, step bound, tool errors.
#include <catch2/catch.hpp>

#include "scheduler/detail/fiber_switch.hpp"

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

TEST_CASE("self() and self_name() inside fibers - nothing outside") {
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

TEST_CASE("BUG_ON ends the execution with fiber step and message and unwinds the others") {
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

TEST_CASE("the step bound ends a livelock with StepLimit") {
  Options opt;
  opt.max_steps = 100;
  Scheduler sched(opt);
  RandomStrategy random;
  sched.spawn("spinner", [] {
    for (;;) point(L("spin"));
  });
  sched.spawn("other", [] { point(L("other")); });
  const Execution e = sched.run(random, 9);
  CHECK(e.finding.kind == FindingKind::StepLimit);
  CHECK(e.steps == 100);
  CHECK(e.trace.size() == 100);
  CHECK(e.finding.message.find("100") != std::string::npos);
}

TEST_CASE("a C++ exception escaping a fiber is a tool error carrying what()") {
  Scheduler sched;
  RandomStrategy random;
  sched.spawn("model", [] {
    point(L("before"));
    throw std::runtime_error("boom in the model");
  });
  Execution e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::ToolError);
  CHECK(e.finding.fiber == 0);
  CHECK(e.finding.message.find("boom in the model") != std::string::npos);

  sched.spawn("weird", [] { throw 42; });
  e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::ToolError);
  CHECK(e.finding.message.find("unknown exception in weird") != std::string::npos);
}

TEST_CASE("WARN_ON and ASSERT findings - fail() outside a fiber throws FindingRaised") {
  Scheduler sched;
  RandomStrategy random;
  sched.spawn("w", [] { FSRACE_WARN_ON(1 + 1 == 2); });
  Execution e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::Warn);
  CHECK(e.finding.message.rfind("WARN_ON(1 + 1 == 2) at test_basics.cpp:", 0) == 0);
  sched.spawn("a", [] {
    FSRACE_ASSERT(true, "never");
    FSRACE_ASSERT(2 < 1, "two is {}", 2);
  });
  e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::Assert);
  CHECK(e.finding.message.find("ASSERT(2 < 1)") != std::string::npos);
  CHECK(e.finding.message.find("two is 2") != std::string::npos);
  CHECK(std::string(to_string(FindingKind::Deadlock)) == "deadlock");
  CHECK(std::string(to_string(FindingKind::Bug)) == "BUG");

  CHECK_THROWS_AS(fail(FindingKind::Violation, "outside"), FindingRaised);
}

TEST_CASE("preemptions count switches away from a fiber that could continue") {
  Scheduler sched;
  Alternate alternate;  // runnable[step % count]
  for (const char* name : {"A", "B"})
    sched.spawn(name, [] {
      point(L("x"));
      point(L("y"));
    });
  const Execution e = sched.run(alternate, 0);
  CHECK(e.decisions == std::vector<FiberId>{0, 1, 0, 1, 0, 1});
  CHECK(e.preemptions == 4);  // every switch but the first choice and the one after A finished
}

TEST_CASE("fibers spawned by a running fiber join the execution") {
  Scheduler sched;
  DfsStrategy dfs;
  std::vector<std::string> ran;
  sched.spawn("parent", [&] {
    const FiberId child = current_scheduler()->spawn("child", [&] { ran.push_back(self_name()); });
    CHECK(child == 1);
    point(L("after spawn"));
    ran.push_back(self_name());
  });
  const Execution e = sched.run(dfs, 0);
  CHECK(e.finding.kind == FindingKind::None);
  CHECK(ran == std::vector<std::string>{"parent", "child"});
  CHECK(e.fiber_names == std::vector<std::string>{"parent", "child"});
}

TEST_CASE("fail_current ends the execution from a fiber or a strategy and refuses outside run") {
  Scheduler sched;
  RandomStrategy random;
  sched.spawn("f", [&] {
    point(L("p"));
    current_scheduler()->fail_current({FindingKind::Violation, "end-of-run check failed", -1, 0});
  });
  const Execution e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::Violation);
  CHECK(e.finding.fiber == 0);
  CHECK(e.finding.step == 1);
  CHECK_THROWS_AS(sched.fail_current({FindingKind::Violation, "late", -1, 0}), std::logic_error);

  struct Stopper final : Strategy {
    void begin(uint64_t) override {}
    size_t choose(const Decision& d) override {
      if (d.step == 2) d.scheduler->fail_current({FindingKind::Violation, "stop here", -1, d.step});
      return 0;
    }
  } stopper;
  sched.spawn("g", [] {
    for (int i = 0; i < 10; ++i) point(L("g"));
  });
  const Execution stopped = sched.run(stopper, 0);
  CHECK(stopped.finding.kind == FindingKind::Violation);
  CHECK(stopped.steps == 2);

  struct OutOfRange final : Strategy {
    void begin(uint64_t) override {}
    size_t choose(const Decision& d) override { return d.count; }
  } out_of_range;
  sched.spawn("h", [] {});
  CHECK(sched.run(out_of_range, 0).finding.kind == FindingKind::ToolError);
}

TEST_CASE("record_trace off keeps decisions - run_into reuses an Execution") {
  Options opt;
  opt.record_trace = false;
  Scheduler sched(opt);
  RandomStrategy random;
  Execution e;
  for (int i = 0; i < 3; ++i) {
    sched.spawn("A", [] { point(L("a")); });
    sched.run_into(random, 5, e);
    CHECK(e.trace.empty());
    CHECK(e.decisions.size() == 2);
    CHECK(e.steps == 2);
    CHECK(e.seed == 5);
  }
}

TEST_CASE("a nested run on the same thread is refused") {
  Scheduler outer, inner;
  RandomStrategy random;
  outer.spawn("f", [&] {
    inner.spawn("g", [] {});
    inner.run(random, 0);
  });
  const Execution e = outer.run(random, 0);
  CHECK(e.finding.kind == FindingKind::ToolError);
  CHECK(e.finding.message.find("inside another run()") != std::string::npos);
}

TEST_CASE("suspended fibers are unwound at the end: destructors run and stacks are reused") {
  Scheduler sched;
  Alternate alternate;
  int destroyed = 0;
  struct Counter {
    int* n;
    ~Counter() { ++*n; }
  };
  for (int round = 0; round < 2000; ++round) {
    for (const char* name : {"a", "b", "c"})
      sched.spawn(name, [&] {
        Counter c{&destroyed};
        for (;;) point(L("loop"));
      });
    sched.spawn("stop", [] {
      point(L("x"));
      fail(FindingKind::Violation, "stop");
    });
    const Execution e = sched.run(alternate, 0);
    REQUIRE(e.finding.kind == FindingKind::Violation);
  }
  CHECK(destroyed == 3 * 2000);
  // One stack per fiber alive at once, reused by every execution. The sanitizer build's ucontext switch
  // (scheduler/detail/fiber_switch.hpp) maps one more (measured: 5 after 2000 executions, not growing).
  CHECK(sched.stacks_mapped() == 4 + FSRACE_ASAN_FIBERS);
}
