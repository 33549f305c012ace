// Replay: a recorded failing schedule reproduces the same finding and trace; a replay that no longer
// matches the program (altered decisions, changed labels, longer or shorter program) is a Divergence.
#include <catch2/catch.hpp>

#include "programs.hpp"

using namespace fsrace::sched;
using namespace fsrace::sched::testing;

namespace {

/// A failing execution of the lost-update program found by random search.
Execution record_failure(Scheduler& sched) {
  RandomStrategy random;
  for (uint64_t i = 0; i < 1000; ++i) {
    spawn_lost_update(sched, false);
    Execution e = sched.run(random, execution_seed(8, i));
    if (e.finding.kind != FindingKind::None) return e;
  }
  FAIL("random search found no lost update in 1000 executions");
  return {};
}

std::vector<uint64_t> hashes_of(const Execution& e) {
  std::vector<uint64_t> out;
  for (const Step& s : e.trace) out.push_back(label_hash(s.label));
  return out;
}

}  // namespace

TEST_CASE("replaying a recorded failing schedule reproduces it exactly") {
  Scheduler sched;
  const Execution recorded = record_failure(sched);
  REQUIRE(recorded.finding.kind == FindingKind::Assert);
  for (int round = 0; round < 3; ++round) {
    Scheduler fresh;  // another scheduler: nothing but the recording carries over
    ReplayStrategy replay(recorded);
    spawn_lost_update(fresh, false);
    const Execution again = fresh.run(replay, 0);
    CHECK(again.finding.kind == recorded.finding.kind);
    CHECK(again.finding.message == recorded.finding.message);
    CHECK(again.finding.fiber == recorded.finding.fiber);
    CHECK(again.finding.step == recorded.finding.step);
    CHECK(again.trace_hash() == recorded.trace_hash());
    CHECK(again.decisions == recorded.decisions);
  }
  // From the serialisable form too (decisions + label hashes, no texts).
  ReplayStrategy from_hashes(recorded.decisions, hashes_of(recorded));
  spawn_lost_update(sched, false);
  const Execution again = sched.run(from_hashes, 0);
  CHECK(again.finding.message == recorded.finding.message);
  CHECK(again.trace_hash() == recorded.trace_hash());
}

TEST_CASE("a replay with altered decisions diverges") {
  Scheduler sched;
  const Execution recorded = record_failure(sched);
  std::vector<FiberId> altered = recorded.decisions;
  // Find the first step where another fiber with a different next label was runnable: run T1 instead
  // of T0 at step 0 (their start labels differ).
  REQUIRE(altered.size() > 2);
  const FiberId other = altered[0] == 0 ? 1 : 0;
  altered[0] = other;
  std::vector<std::string> texts;
  for (const Step& s : recorded.trace) texts.push_back(format_label(s.label));
  ReplayStrategy replay(altered, hashes_of(recorded), texts);
  spawn_lost_update(sched, false);
  const Execution e = sched.run(replay, 0);
  REQUIRE(e.finding.kind == FindingKind::Divergence);
  CHECK(e.finding.message ==
        fmt::format("replay diverged at step 0: recorded \"{}\" by {}, got \"start {}\" by {}", texts[0],
                    other == 0 ? "T0" : "T1", other == 0 ? "T0" : "T1", other == 0 ? "T0" : "T1"));
  CHECK(e.steps == 0);
}

TEST_CASE("a replay against a changed program diverges and names the step") {
  Scheduler sched;
  const Execution recorded = record_failure(sched);
  ReplayStrategy replay(recorded);
  spawn_lost_update(sched, false, "store counter");  // same shape, another operation
  const Execution e = sched.run(replay, 0);
  REQUIRE(e.finding.kind == FindingKind::Divergence);
  CHECK(e.finding.message.find("recorded \"write counter\" by T") != std::string::npos);
  CHECK(e.finding.message.find(", got \"store counter\" by T") != std::string::npos);
  // The divergence is at the first step where the recording says "write counter".
  size_t first_write = 0;
  while (format_label(recorded.trace[first_write].label) != "write counter") ++first_write;
  CHECK(e.finding.step == first_write);
  CHECK(e.finding.message.rfind(fmt::format("replay diverged at step {}:", first_write), 0) == 0);
}

TEST_CASE("a replay diverges when the recording runs out or the program ends early") {
  Scheduler sched;
  RandomStrategy random;
  sched.spawn("A", [] { point(L("a1")); });
  sched.spawn("B", [] { point(L("b1")); });
  const Execution recorded = sched.run(random, 4);
  REQUIRE(recorded.finding.kind == FindingKind::None);
  REQUIRE(recorded.steps == 4);

  SECTION("longer program") {
    ReplayStrategy replay(recorded);
    sched.spawn("A", [] {
      point(L("a1"));
      point(L("a2"));
    });
    sched.spawn("B", [] { point(L("b1")); });
    const Execution e = sched.run(replay, 0);
    REQUIRE(e.finding.kind == FindingKind::Divergence);
    CHECK(e.finding.message.find("the recording ends after 4 steps") != std::string::npos);
  }
  SECTION("shorter program") {
    ReplayStrategy replay(recorded);
    sched.spawn("A", [] { point(L("a1")); });
    sched.spawn("B", [] {});
    const Execution e = sched.run(replay, 0);
    REQUIRE(e.finding.kind == FindingKind::Divergence);
    CHECK(e.finding.message.find("but no fiber is runnable") != std::string::npos);
  }
  SECTION("a fiber that does not exist") {
    std::vector<FiberId> decisions = recorded.decisions;
    decisions[1] = 7;
    ReplayStrategy replay(decisions, hashes_of(recorded));
    sched.spawn("A", [] { point(L("a1")); });
    sched.spawn("B", [] { point(L("b1")); });
    const Execution e = sched.run(replay, 0);
    REQUIRE(e.finding.kind == FindingKind::Divergence);
    CHECK(e.finding.message.find("fiber 7 is not runnable") != std::string::npos);
  }
}
