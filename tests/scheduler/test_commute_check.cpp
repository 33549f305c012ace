// The footprint claims' run-time check (scheduler/commute_check.hpp): pairs of adjacent steps the claims
// call independent are re-run swapped; a wrong claim shows as a different end or a different later step.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "scheduler/commute_check.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

using namespace fsrace::sched;

namespace {

const uint64_t kX = object_id(ObjectKind::Other, "x");
const uint64_t kY = object_id(ObjectKind::Other, "y");

// Two fibers, each one declared step after its start (undeclared: it pairs with no step). `a_claim` and `b_claim`
// are what their steps say they touch; `b_writes_y`: b's step writes y instead of x; `b_branches`: b's
// step reads x and its next point's label says what it saw (a dependence that shows in a later step).
struct program {
  Footprint a_claim = touching(kX), b_claim = touching(kX);
  bool b_writes_y = false, b_branches = false;
  int64_t x = 0, y = 0;

  uint64_t run(Strategy& strategy, uint64_t seed, Execution& out) {
    Scheduler s(Options{1000, 64 * 1024, true, true});
    x = y = 0;
    s.spawn("a", [this] {
      point(L("a"), a_claim);
      x = x * 2 + 1;
    });
    s.spawn("b", [this] {
      point(L("b"), b_claim);
      if (b_branches) {
        point(x == 0 ? L("b saw nothing") : L("b saw a"), declared());
        return;
      }
      if (b_writes_y) y = 5;
      else x = x + 10;  // a then b: 11; b then a: 21
    });
    s.run_into(strategy, seed, out);
    return static_cast<uint64_t>(x) * 1000 + static_cast<uint64_t>(y);
  }
  CommuteReport check(uint64_t executions) {
    return check_commutes([this](Strategy& st, uint64_t seed, Execution& out) { return run(st, seed, out); }, 1,
                          executions, 10, 100000);
  }
};

}  // namespace

TEST_CASE("commute check: a wrong independence claim is caught by the end state", "[commute_check]") {
  program p;
  p.a_claim = touching(kX);
  p.b_claim = touching(kY);  // wrong: b's step writes x
  const CommuteReport r = p.check(40);
  REQUIRE(r.failures.size() == 10);  // the limit: the sample stops there
  CHECK(r.executions < 40);
  const CommuteFailure& f = r.failures.front();
  CHECK(f.what.find("end state differs") != std::string::npos);
  CHECK(((f.first_label == "a" && f.second_label == "b") || (f.first_label == "b" && f.second_label == "a")));
  CHECK(f.first_thread != f.second_thread);
  CHECK(f.decisions.size() == 4);  // two starts and two steps
}

TEST_CASE("commute check: a wrong claim is caught by a later step's label", "[commute_check]") {
  program p;
  p.a_claim = touching(kX);
  p.b_claim = declared().reads_from(kY);  // wrong: b's step reads x
  p.b_branches = true;
  const CommuteReport r = p.check(40);
  REQUIRE_FALSE(r.failures.empty());
  bool later_step = false;
  for (const auto& f : r.failures) later_step = later_step || f.what.find("a later step is not the same") != std::string::npos;
  CHECK(later_step);
}

TEST_CASE("commute check: right claims pass, and dependent pairs are not swapped", "[commute_check]") {
  SECTION("truly independent steps are swapped and commute") {
    program p;
    p.a_claim = touching(kX);
    p.b_claim = touching(kY);
    p.b_writes_y = true;
    const CommuteReport r = p.check(40);
    CHECK(r.swapped > 0);
    CHECK(r.failures.empty());
  }
  SECTION("steps claimed dependent are never swapped") {
    program p;  // both claim x, and both write it
    const CommuteReport r = p.check(40);
    CHECK(r.claimed == 0);
    CHECK(r.swapped == 0);
    CHECK(r.failures.empty());
  }
  SECTION("undeclared steps depend on everything") {
    program p;
    p.a_claim = Footprint{};
    p.b_claim = touching(kY);
    const CommuteReport r = p.check(40);
    CHECK(r.claimed == 0);
    CHECK(r.failures.empty());
  }
}

TEST_CASE("commute check: a step whose fiber the first step made runnable is not swapped", "[commute_check]") {
  // a's step spawns the child: the child's first step cannot run before it, whatever they claim.
  int64_t v = 0;
  auto run = [&](Strategy& st, uint64_t seed, Execution& out) {
    Scheduler s(Options{1000, 64 * 1024, true, true});
    v = 0;
    s.spawn("a", [&] {
      point(L("a"), declared());
      current_scheduler()->spawn("child", [&] { v += 10; }, declared());
    }, declared());
    s.run_into(st, seed, out);
    return static_cast<uint64_t>(v);
  };
  const CommuteReport r = check_commutes(run, 1, 10, 10, 100000);
  CHECK(r.claimed > 0);
  CHECK(r.not_enabled == r.claimed);
  CHECK(r.swapped == 0);
  CHECK(r.failures.empty());
}

TEST_CASE("commute check: --max-swaps ends the sample", "[commute_check]") {
  program p;
  p.a_claim = touching(kX);
  p.b_claim = touching(kY);
  p.b_writes_y = true;
  const CommuteReport r =
      check_commutes([&p](Strategy& st, uint64_t seed, Execution& out) { return p.run(st, seed, out); }, 1, 40, 10, 3);
  CHECK(r.swapped == 3);  // re-runs: swaps and longer moves
  CHECK(r.executions < 40);
}

TEST_CASE("commute check: a step moved over a run of steps catches a claim no adjacent pair shows", "[commute_check]") {
  // a1 writes x (claimed), a2 touches nothing of b's; b writes x but claims y. Where the sample runs
  // a1, a2, b, swapping a2 and b commutes; moving b before a1 and a2 does not.
  int64_t x = 0;
  auto run = [&](Strategy& st, uint64_t seed, Execution& out) {
    Scheduler s(Options{1000, 64 * 1024, true, true});
    x = 0;
    s.spawn("a", [&] {
      point(L("a1"), touching(kX));
      x = x * 2 + 1;
      point(L("a2"), touching(object_id(ObjectKind::Other, "z")));
    });
    s.spawn("b", [&] {
      point(L("b"), touching(kY));  // wrong: it writes x
      x = x + 10;
    });
    s.run_into(st, seed, out);
    return static_cast<uint64_t>(x);
  };
  const CommuteReport r = check_commutes(run, 1, 40, 1000, 100000);
  CHECK(r.block_moves > 0);
  bool moved_over_two = false;
  for (const auto& f : r.failures)
    if (f.moved_over >= 2) moved_over_two = f.first_label == "a1" && f.second_label == "b";
  CHECK(moved_over_two);
}

TEST_CASE("commute check: two steps that each start a thread are not reordered (the threads would swap numbers)",
          "[commute_check]") {
  // Swapped, a's child and b's child would take each other's numbers and the schedule by number would
  // name the wrong threads: a divergence that is no wrong claim.
  auto run = [](Strategy& st, uint64_t seed, Execution& out) {
    Scheduler s(Options{1000, 64 * 1024, true, true});
    s.spawn("a", [] {
      point(L("a"), declared());
      current_scheduler()->spawn("child of a", [] {}, declared());
    }, declared());
    s.spawn("b", [] {
      point(L("b"), declared());
      current_scheduler()->spawn("child of b", [] {}, declared());
    }, declared());
    s.run_into(st, seed, out);
    return uint64_t{0};
  };
  const CommuteReport r = check_commutes(run, 1, 40, 10, 100000);
  CHECK(r.renumbering > 0);
  CHECK(r.failures.empty());
}

TEST_CASE("commute check: any strategy can choose the sample (PCT's long runs of one thread)", "[commute_check]") {
  program p;
  p.a_claim = touching(kX);
  p.b_claim = touching(kY);  // wrong: b's step writes x
  PctStrategy pct(2, 6);
  const CommuteReport r = check_commutes([&p](Strategy& st, uint64_t seed, Execution& out) { return p.run(st, seed, out); },
                                         pct, 1, 40, 10, 100000);
  CHECK(r.executions > 0);
  REQUIRE_FALSE(r.failures.empty());
  CHECK(r.failures.front().what.find("end state differs") != std::string::npos);
}
