// DPOR against full DFS on small shared-variable programs whose steps declare their footprints: the
// same Mazurkiewicz traces (classes of executions that differ only in the order of independent steps)
// are reached, every bug DFS finds is found, and without a bound DPOR completes exactly one execution per
// trace (sleep sets). With a preemption bound every trace DFS reaches within the bound is reached.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "scheduler/sync.hpp"
#include "tests/scheduler/programs.hpp"

using namespace fsrace::sched;

namespace {

struct Op {
  int var;  // < 0: a step that touches nothing shared (declared())
  bool write;
  bool add = false;  // instead: x += c, a commuting update (Footprint::updates)
};
using Program = std::vector<std::vector<Op>>;  // per fiber, its operations in order

uint64_t var_id(int v) { return object_id(ObjectKind::Other, static_cast<uint64_t>(v)); }

struct State {
  std::vector<int64_t> vars;
  std::vector<int64_t> local;
};

/// a * m + c modulo 2^64 (long programs overflow: signed overflow would be undefined).
int64_t mix(int64_t a, uint64_t m, uint64_t c) { return static_cast<int64_t>(static_cast<uint64_t>(a) * m + c); }

/// Fiber f: for each op, a point declaring the variable it reads or writes, then the access. Writes
/// depend on the old value and reads feed the fiber's local state, so orders of dependent steps show.
std::shared_ptr<State> spawn_program(Scheduler& s, const Program& p, int vars) {
  auto st = std::make_shared<State>();
  st->vars.assign(static_cast<size_t>(vars), 0);
  st->local.assign(p.size(), 0);
  for (size_t f = 0; f < p.size(); ++f)
    s.spawn("F" + std::to_string(f), [st, ops = p[f], f] {
      for (size_t k = 0; k < ops.size(); ++k) {
        const Op& op = ops[k];
        if (op.var < 0) {  // a step that touches nothing shared
          point(L("local step"), declared());
          st->local[f] = mix(st->local[f], 7, 1);
          continue;
        }
        if (op.add) {
          point(L("add x{}", static_cast<uint64_t>(op.var)), declared().updates_to(var_id(op.var)));
          st->vars[static_cast<size_t>(op.var)] = mix(st->vars[static_cast<size_t>(op.var)], 1, f * 7 + k + 1);
          continue;
        }
        point(L(op.write ? "write x{}" : "read x{}", static_cast<uint64_t>(op.var)), touching(var_id(op.var), op.write));
        int64_t& x = st->vars[static_cast<size_t>(op.var)];
        if (op.write) x = mix(x, 31, f * 7 + k + 1);
        else st->local[f] = mix(st->local[f], 131, static_cast<uint64_t>(x));
      }
    });
  return st;
}

/// The footprint of each step of an execution: "start" steps declare nothing, then one op per step.
struct StepInfo {
  FiberId fiber;
  Footprint fp;
};

std::vector<StepInfo> steps_of(const Program& p, const std::vector<FiberId>& decisions) {
  std::vector<size_t> next(p.size(), 0);
  std::vector<StepInfo> out;
  for (FiberId f : decisions) {
    const size_t k = next[f]++;
    const Footprint fp = k == 0                ? Footprint{}
                         : p[f][k - 1].var < 0 ? declared()
                         : p[f][k - 1].add     ? declared().updates_to(var_id(p[f][k - 1].var))
                                               : touching(var_id(p[f][k - 1].var), p[f][k - 1].write);
    out.push_back({f, fp});
  }
  return out;
}

/// The lexicographically least execution equivalent to `decisions` (its Mazurkiewicz trace's name).
std::vector<FiberId> normal_form(const Program& p, const std::vector<FiberId>& decisions) {
  std::vector<StepInfo> rest = steps_of(p, decisions);
  std::vector<FiberId> out;
  while (!rest.empty()) {
    size_t best = rest.size();
    for (size_t i = 0; i < rest.size(); ++i) {
      bool free = true;  // no earlier remaining step it must follow
      for (size_t j = 0; j < i && free; ++j)
        free = rest[j].fiber != rest[i].fiber && !dependent(rest[j].fp, rest[i].fp);
      if (free && (best == rest.size() || rest[i].fiber < rest[best].fiber)) best = i;
    }
    out.push_back(rest[best].fiber);
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(best));
  }
  return out;
}

struct Explored {
  std::set<std::vector<FiberId>> traces, bug_traces;
  std::set<std::vector<int64_t>> final_states;
  uint64_t complete = 0, executions = 0;
};

/// A "bug": an end state that only some orders of dependent steps produce.
bool buggy(const State& st) { return mix(st.vars[0], 1, static_cast<uint64_t>(st.local.back())) % 5 == 2; }

template <class S>
Explored run_all(const Program& p, int vars, S& strategy) {
  Scheduler sched;
  Explored out;
  do {
    const auto st = spawn_program(sched, p, vars);
    const Execution e = sched.run(strategy, 0);
    ++out.executions;
    REQUIRE(e.finding.kind == FindingKind::None);
    if constexpr (requires { strategy.last_was_redundant(); })
      if (strategy.last_was_redundant()) continue;
    ++out.complete;
    const auto nf = normal_form(p, e.decisions);
    out.traces.insert(nf);
    std::vector<int64_t> end = st->vars;
    end.insert(end.end(), st->local.begin(), st->local.end());
    out.final_states.insert(end);
    if (buggy(*st)) out.bug_traces.insert(nf);
  } while (strategy.next());
  return out;
}

Program random_program(Prng& rng, int fibers, int max_ops, int vars) {
  Program p(static_cast<size_t>(fibers));
  for (auto& ops : p) {
    const int n = 1 + static_cast<int>(rng.below(static_cast<uint64_t>(max_ops)));
    for (int k = 0; k < n; ++k)
      ops.push_back({static_cast<int>(rng.below(static_cast<uint64_t>(vars))), rng.chance(1, 2)});
  }
  return p;
}

}  // namespace

TEST_CASE("dpor: independent fibers need one execution, conflicting ones every order") {
  // Two fibers on different variables: their writes commute; only where each start step (undeclared:
  // dependent on every step) falls among the other fiber's steps tells traces apart.
  DporStrategy independent;
  const Explored a = run_all({{{0, true}, {0, true}}, {{1, true}, {1, true}}}, 2, independent);
  DfsStrategy dfs_a;
  const Explored da = run_all({{{0, true}, {0, true}}, {{1, true}, {1, true}}}, 2, dfs_a);
  CHECK(a.traces == da.traces);
  CHECK(a.complete == a.traces.size());
  CHECK(independent.traces() == a.traces.size());
  CHECK(da.executions == 20);             // C(6, 3): every interleaving of 3 + 3 steps
  CHECK(a.executions < da.executions);    // DPOR: far fewer
  // Two readers of one variable commute; a writer does not.
  DporStrategy readers;
  const Explored r = run_all({{{0, false}}, {{0, false}}}, 1, readers);
  DfsStrategy dfs_r;
  const Explored dr = run_all({{{0, false}}, {{0, false}}}, 1, dfs_r);
  CHECK(r.traces == dr.traces);
  CHECK(r.complete == r.traces.size());
}

TEST_CASE("dpor: the trace set counts distinct hashes up to its limit, then says it is capped") {
  TraceSet set;
  for (uint64_t i = 0; i < 5000; ++i) CHECK(set.insert(i * 0x100000001ULL));  // grows past its first table
  CHECK_FALSE(set.insert(4999 * 0x100000001ULL));                             // already there
  CHECK_FALSE(set.insert(1));  // 0 is stored as 1 (0 marks an empty slot): the two count as one
  CHECK(set.size() == 5000);
  // Fill it: an odd multiplier maps distinct i to distinct values (a few may meet the first 5,000).
  uint64_t i = 0;
  for (; set.size() < TraceSet::kLimit && i < 2 * TraceSet::kLimit; ++i) set.insert(i * 0x9e3779b97f4a7c15ULL + 12345);
  REQUIRE(set.size() == TraceSet::kLimit);
  CHECK_FALSE(set.capped());
  CHECK_FALSE(set.insert(12345));  // there already: not a new one left out
  CHECK_FALSE(set.capped());
  CHECK_FALSE(set.insert(i * 0x9e3779b97f4a7c15ULL + 12345));  // new, but the set is full
  CHECK(set.capped());
  CHECK(set.size() == TraceSet::kLimit);
}

TEST_CASE("dpor: same traces and bugs as full DFS, one complete execution per trace (random programs)") {
  Prng rng(20260413);
  uint64_t dpor_total = 0, dfs_total = 0;
  for (int round = 0; round < 40; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    const Program p = random_program(rng, fibers, fibers == 2 ? 4 : 2, 2);
    DporStrategy dpor;
    DfsStrategy dfs;
    const Explored a = run_all(p, 2, dpor);
    const Explored b = run_all(p, 2, dfs);
    INFO("round " << round);
    CHECK(dpor.exhausted());
    CHECK(a.traces == b.traces);
    CHECK(a.bug_traces == b.bug_traces);
    CHECK(a.final_states == b.final_states);
    CHECK(a.complete == a.traces.size());  // sleep sets: never two complete executions of one trace
    CHECK(dpor.traces() == a.traces.size());  // its own count of traces agrees with the normal forms
    CHECK_FALSE(dpor.traces_capped());
    dpor_total += a.executions;
    dfs_total += b.executions;
  }
  CHECK(dpor_total < dfs_total);
}

/// Bounded DPOR against bounded DFS on one program at bounds 0-2: every trace, bug trace and final state
/// DFS reaches is reached, in no more executions. Adds the executions of each to the totals.
static void check_bounded_against_dfs(const Program& p, int vars, uint64_t& dpor_total, uint64_t& dfs_total) {
  for (unsigned bound : {0u, 1u, 2u}) {
    DporStrategy dpor(bound);
    DfsStrategy dfs(bound);
    const Explored a = run_all(p, vars, dpor);
    const Explored b = run_all(p, vars, dfs);
    INFO("bound " << bound);
    CHECK(dpor.exhausted());
    for (const auto& t : b.traces) CHECK(a.traces.count(t) == 1);
    CHECK(a.traces.size() == b.traces.size());  // and none beyond the bound
    CHECK(dpor.traces() == a.traces.size());     // DPOR's own count: the traces within the bound
    DporStrategy everywhere(bound, DporStrategy::Backtracking::everywhere);
    const Explored c = run_all(p, vars, everywhere);
    CHECK(c.executions == b.executions);         // every schedule within the bound, as DFS
    CHECK(everywhere.traces() == b.traces.size());
    for (const auto& t : b.bug_traces) CHECK(a.bug_traces.count(t) == 1);
    CHECK(a.final_states == b.final_states);
    CHECK(a.executions <= b.executions);
    dpor_total += a.executions;
    dfs_total += b.executions;
  }
}

TEST_CASE("dpor with a preemption bound reaches every trace DFS reaches within that bound") {
  Prng rng(77);
  uint64_t dpor_total = 0, dfs_total = 0;
  for (int round = 0; round < 40; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    const Program p = random_program(rng, fibers, fibers == 2 ? 4 : 2, 2);
    INFO("round " << round);
    check_bounded_against_dfs(p, 2, dpor_total, dfs_total);
  }
}

// Commuting updates (Footprint::updates): x += c steps commute with each other, not with reads or writes.
TEST_CASE("dpor: updates commute with updates, not with reads or writes", "[dpor]") {
  // Each fiber's first step (spawn to its first point) is undeclared: the traces differ in where it
  // falls among the other fiber's steps. Adds make the traces that reads of one variable make (reads
  // commute with each other, not with an undeclared step).
  const Op add{0, false, true}, read{0, false}, write{0, true};
  DporStrategy adders, readers;
  const Explored a = run_all({{add, add}, {add}}, 1, adders);
  const Explored l = run_all({{read, read}, {read}}, 1, readers);
  CHECK(a.traces == l.traces);
  CHECK(a.complete == l.complete);
  CHECK(adders.traces() == a.traces.size());
  DfsStrategy dfs_a;
  const Explored da = run_all({{add, add}, {add}}, 1, dfs_a);
  CHECK(da.final_states == a.final_states);
  CHECK(da.traces == a.traces);
  CHECK(a.final_states.size() == 1);  // every order of the adds ends alike
  for (const Op& other : {read, write}) {
    DporStrategy dpor, dpor_adds;
    DfsStrategy dfs;
    const Explored d = run_all({{add}, {other}}, 1, dpor);
    const Explored b = run_all({{add}, {other}}, 1, dfs);
    const Explored dl = run_all({{add}, {add}}, 1, dpor_adds);
    INFO(other.write);
    CHECK(d.complete > dl.complete);  // the two orders of add and access differ: both run
    CHECK(d.traces == b.traces);
    CHECK(d.final_states == b.final_states);
    CHECK(d.final_states.size() == 2);
  }
  CHECK_FALSE(dependent(declared().updates_to(var_id(0)), declared().updates_to(var_id(0))));
  CHECK(dependent(declared().updates_to(var_id(0)), touching(var_id(0), false)));
  CHECK(dependent(touching(var_id(0)), declared().updates_to(var_id(0))));
  CHECK_FALSE(dependent(declared().updates_to(var_id(0)), touching(var_id(1))));
  const uint64_t other0 = kind_bits(ObjectKind::Other).base;
  CHECK(describe(declared().updates_to(other0).reads_from(other0 + 1)) == "R Other.1 U Other.0");
  CHECK(describe(declared().updates_to(other0).writes_to(other0)) == "W Other.0");  // a write covers it
}

TEST_CASE("dpor: with commuting updates, same traces, bugs and final states as DFS (random programs, bounds)", "[dpor]") {
  Prng rng(20261207);
  uint64_t dpor_total = 0, dfs_total = 0, unbounded_dpor = 0, unbounded_dfs = 0;
  for (int round = 0; round < 80; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    Program p = random_program(rng, fibers, fibers == 2 ? 5 : 3, 2);
    for (auto& ops : p)
      for (Op& op : ops)
        if (rng.chance(1, 2)) op.add = true;
    INFO("round " << round);
    DporStrategy dpor;
    DfsStrategy dfs;
    const Explored a = run_all(p, 2, dpor);
    const Explored b = run_all(p, 2, dfs);
    CHECK(dpor.exhausted());
    CHECK(a.traces == b.traces);
    CHECK(a.bug_traces == b.bug_traces);
    CHECK(a.final_states == b.final_states);
    CHECK(a.complete == a.traces.size());
    CHECK(dpor.traces() == a.traces.size());
    unbounded_dpor += a.executions;
    unbounded_dfs += b.executions;
    check_bounded_against_dfs(p, 2, dpor_total, dfs_total);
  }
  INFO("unbounded: dpor " << unbounded_dpor << ", dfs " << unbounded_dfs);
  CHECK(unbounded_dpor * 3 < unbounded_dfs);
}

// The race analysis' checkpoints (DporStrategy::set_checkpoint_every): a replayed prefix's analysis
// state is restored from a checkpoint, not rebuilt. A search must run exactly the executions it runs
// without them, whatever the interval: a wrong restore changes the races found, hence the backtracks.
TEST_CASE("dpor: the analysis checkpoints change no execution (random programs, bounds 1, 2, unbounded)", "[dpor]") {
  Prng rng(64);
  auto schedules = [](const Program& p, DporStrategy& strategy) {
    Scheduler sched;
    std::vector<std::vector<FiberId>> out;
    do {
      spawn_program(sched, p, 8);
      out.push_back(sched.run(strategy, 0).decisions);
    } while (strategy.next());
    return out;
  };
  uint64_t executions = 0;
  for (int round = 0; round < 24; ++round) {
    // Sparse accesses to many variables, so that races span checkpoints: most steps are local.
    const int fibers = 2 + static_cast<int>(rng.below(2));
    Program p = random_program(rng, fibers, 2, 8);
    for (auto& ops : p) {
      while (ops.size() < (fibers == 2 ? 40u : 14u))
        ops.push_back({static_cast<int>(rng.below(8)), rng.chance(1, 3), rng.chance(1, 4)});
      for (Op& op : ops)
        if (rng.chance(2, 3)) op.var = -1;  // a local step
    }
    for (unsigned bound : {1u, 2u, DporStrategy::kUnbounded}) {
      if (bound == DporStrategy::kUnbounded && fibers == 2) continue;  // too many traces
      INFO("round " << round << ", bound " << bound);
      DporStrategy none(bound), every_4(bound), every_16(bound);
      none.set_checkpoint_every(0);
      every_4.set_checkpoint_every(4);
      every_16.set_checkpoint_every(16);
      const auto reference = schedules(p, none);
      CHECK(schedules(p, every_4) == reference);
      CHECK(schedules(p, every_16) == reference);
      CHECK(every_4.traces() == none.traces());
      executions += reference.size();
    }
  }
  INFO(executions << " executions");
  CHECK(executions > 1000);
}

// Sleep sets under a bound (DporStrategy::sleep_keeps_bound): larger programs, with steps that touch
// nothing and fibers that finish early, so that sleeping fibers meet every case of the rule.
TEST_CASE("dpor with a preemption bound and sleep sets: every trace DFS reaches, larger programs") {
  Prng rng(2026);
  uint64_t dpor_total = 0, dfs_total = 0;
  for (int round = 0; round < 150; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    Program p = random_program(rng, fibers, fibers == 2 ? 6 : 3, 3);
    for (auto& ops : p)
      for (Op& op : ops)
        if (rng.chance(1, 3)) op.var = -1;  // a local step
    INFO("round " << round);
    check_bounded_against_dfs(p, 3, dpor_total, dfs_total);
  }
  INFO("dpor " << dpor_total << " executions, dfs " << dfs_total);
  CHECK(dpor_total * 2 < dfs_total);  // pruning, not just equality
}

// Steps that end with their fiber blocked (the other case of DporStrategy::sleep_keeps_bound): fibers
// take mutexes around declared read-modify-writes, so that a lock step blocks whenever another holds it.
TEST_CASE("dpor with a preemption bound: fibers blocked on mutexes reach DFS's final states") {
  struct LockedOp {
    int mutex;  // < 0: none
    int var;
  };
  Prng rng(4242);
  uint64_t dpor_total = 0, dfs_total = 0;
  for (int round = 0; round < 60; ++round) {
    const size_t fibers = 2 + rng.below(2);
    std::vector<std::vector<LockedOp>> program(fibers);
    for (auto& ops : program) {
      const uint64_t n = 1 + rng.below(fibers == 2 ? 3 : 2);
      for (uint64_t k = 0; k < n; ++k) ops.push_back({static_cast<int>(rng.below(3)) - 1, static_cast<int>(rng.below(2))});
    }
    auto spawn = [&program](Scheduler& s) {
      auto vars = std::make_shared<std::vector<int64_t>>(2, 0);
      auto m = std::make_shared<std::vector<std::shared_ptr<Mutex>>>();
      m->push_back(std::make_shared<Mutex>("m0"));
      m->push_back(std::make_shared<Mutex>("m1"));
      for (size_t f = 0; f < program.size(); ++f)
        s.spawn("F" + std::to_string(f), [vars, m, ops = program[f], f] {
          for (size_t k = 0; k < ops.size(); ++k) {
            FootprintScope scope(touching(var_id(ops[k].var)));
            if (ops[k].mutex >= 0) (*m)[static_cast<size_t>(ops[k].mutex)]->lock();
            point(L("read x{}", static_cast<uint64_t>(ops[k].var)));
            const int64_t v = (*vars)[static_cast<size_t>(ops[k].var)];
            point(L("write x{}", static_cast<uint64_t>(ops[k].var)));
            (*vars)[static_cast<size_t>(ops[k].var)] = v * 31 + static_cast<int64_t>(f * 7 + k + 1);
            if (ops[k].mutex >= 0) (*m)[static_cast<size_t>(ops[k].mutex)]->unlock();
          }
        }, declared());
      return vars;
    };
    auto finals = [&spawn](auto& strategy, uint64_t& executions) {
      Scheduler sched;
      std::set<std::vector<int64_t>> out;
      do {
        const auto vars = spawn(sched);
        const Execution e = sched.run(strategy, 0);
        ++executions;
        REQUIRE(e.finding.kind == FindingKind::None);
        if constexpr (requires { strategy.last_was_redundant(); })
          if (strategy.last_was_redundant()) continue;
        out.insert(*vars);
      } while (strategy.next());
      return out;
    };
    for (unsigned bound : {0u, 1u, 2u}) {
      DporStrategy dpor(bound);
      DfsStrategy dfs(bound);
      INFO("round " << round << ", bound " << bound);
      const auto a = finals(dpor, dpor_total);
      const auto b = finals(dfs, dfs_total);
      CHECK(dpor.exhausted());
      CHECK(a == b);
    }
  }
  INFO("dpor " << dpor_total << " executions, dfs " << dfs_total);
  CHECK(dpor_total < dfs_total);
}

TEST_CASE("dpor finds the scheduler programs' bugs that DFS finds (undeclared steps: dependent on all)") {
  for (bool guarded : {false, true}) {
    Scheduler sched;
    DporStrategy dpor;
    bool found = false;
    do {
      testing::spawn_lost_update(sched, guarded);
      found = found || sched.run(dpor, 0).finding.kind == FindingKind::Assert;
    } while (dpor.next());
    CHECK(found == !guarded);
  }
  Scheduler sched;
  DporStrategy dpor(1);
  bool deadlock = false;
  do {
    testing::spawn_abba(sched);
    deadlock = deadlock || sched.run(dpor, 0).finding.kind == FindingKind::Deadlock;
  } while (dpor.next());
  CHECK(deadlock);
}

TEST_CASE("dpor: steps that touch nothing commute with every step, undeclared ones too") {
  Prng rng(4242);
  for (int round = 0; round < 40; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    Program p = random_program(rng, fibers, fibers == 2 ? 4 : 2, 2);
    for (auto& ops : p)  // about one step in three touches nothing
      for (auto& op : ops)
        if (rng.chance(1, 3)) op.var = -1;
    INFO("round " << round);
    DporStrategy dpor;
    DfsStrategy dfs;
    const Explored a = run_all(p, 2, dpor);
    const Explored b = run_all(p, 2, dfs);
    CHECK(a.traces == b.traces);
    CHECK(a.bug_traces == b.bug_traces);
    CHECK(a.final_states == b.final_states);
    CHECK(a.complete == a.traces.size());
    for (unsigned bound : {0u, 1u, 2u}) {
      DporStrategy bounded(bound);
      DfsStrategy bounded_dfs(bound);
      const Explored c = run_all(p, 2, bounded);
      const Explored d = run_all(p, 2, bounded_dfs);
      INFO("bound " << bound);
      for (const auto& t : d.traces) CHECK(c.traces.count(t) == 1);
      for (const auto& s : d.final_states) CHECK(c.final_states.count(s) == 1);
      CHECK(c.executions <= d.executions);
    }
  }
  // A local step between two undeclared steps of the other fiber: its position does not matter.
  CHECK_FALSE(dependent(declared(), Footprint{}));
  CHECK(dependent(Footprint{}, Footprint{}));
}

TEST_CASE("dpor: a fiber that never ran before a finding ended the execution still races with the steps before it") {
  // F0 reads y and reports a finding with what it read; F1 writes y. The default order (F0 first) ends
  // at F0's finding before F1 ever runs, so only F1's pending step shows the race; DFS runs F1 first too.
  for (unsigned bound : {DporStrategy::kUnbounded, 0u, 1u}) {
    INFO("bound " << bound);
    Scheduler sched;
    DporStrategy dpor(bound);
    std::set<std::string> seen;
    do {
      auto y = std::make_shared<int>(0);
      sched.spawn("F0", [&sched, y] {
        point(L("read y"), touching(var_id(0), false));
        sched.fail_current({FindingKind::Assert, *y == 0 ? "read y 0" : "read y 1", -1, 0});
      });
      sched.spawn("F1", [y] {
        point(L("write y"), touching(var_id(0), true));
        *y = 1;
      });
      seen.insert(sched.run(dpor, 0).finding.message);
    } while (dpor.next());
    CHECK(dpor.exhausted());
    CHECK(seen == std::set<std::string>{"read y 0", "read y 1"});
  }
}

TEST_CASE("dpor: the race tally names the pairs of steps whose races added backtrack points") {
  // F0 writes x0; F1 writes x1, then x0. Of the declared steps only the two writes of x0 race; a fiber's
  // first step (from its start to its first point) runs undeclared code and races with every step.
  const Program p{{{0, true}}, {{1, true}, {0, true}}};
  DporStrategy dpor;
  dpor.tally_races();
  run_all(p, 2, dpor);
  const auto pairs = dpor.race_pairs(10);
  int x0_pairs = 0;
  for (const auto& r : pairs) {
    INFO(r.first << " <-> " << r.second);
    CHECK(r.backtracks >= 1);
    CHECK(r.conservative == 0);  // no bound: no conservative points
    if (r.first_undeclared || r.second_undeclared) {
      CHECK((r.first.rfind("start F", 0) == 0 || r.second.rfind("start F", 0) == 0));
      continue;
    }
    CHECK(r.first == "write x0");  // declared steps: only the writes of x0 race
    CHECK(r.second == "write x0");
    ++x0_pairs;
  }
  CHECK(x0_pairs == 1);
  CHECK(dpor.race_pairs(0).empty());
  REQUIRE(dpor.race_pairs(1).size() == 1);
  CHECK(dpor.race_pairs(1)[0].first == "write x0");  // the pair that added the most comes first

  // Off by default: nothing tallied.
  DporStrategy quiet;
  run_all(p, 2, quiet);
  CHECK(quiet.race_pairs(10).empty());

  // Under a bound, a race whose first step runs in the middle of its fiber's run of steps also adds a
  // backtrack point where that run began (Coons et al.): F0's "write x0" follows its "write x1".
  DporStrategy bounded(1);
  bounded.tally_races();
  run_all({{{1, true}, {0, true}}, {{0, true}}}, 2, bounded);
  uint64_t conservative = 0;
  for (const auto& r : bounded.race_pairs(10)) {
    if (!r.first_undeclared && !r.second_undeclared) CHECK(r.first == "write x0");  // x1 has one writer
    conservative += r.conservative;
  }
  CHECK(conservative >= 1);
}

// DPOR cut into subtrees (restrict() and split(), what --jobs runs): every `every` executions of a subtree
// the search splits off the untried choices of its shallowest open state as subtrees of their own,
// searched after it (the ones split off last first: they lie deeper). Together they must reach what DFS
// reaches, bugs included, at every bound.
namespace {

template <class Visit>
uint64_t run_split(const Program& p, int vars, DporStrategy& dpor, uint64_t every, Visit&& visit) {
  Scheduler sched;
  std::vector<std::vector<FiberId>> todo{{}};
  uint64_t subtrees = 0;
  while (!todo.empty()) {  // bounded: each subtree is a finite search, and a split shrinks what is left
    std::vector<FiberId> prefix = std::move(todo.back());
    todo.pop_back();
    ++subtrees;
    dpor.restrict(prefix);
    std::vector<std::vector<std::vector<FiberId>>> groups;
    uint64_t since = 0;
    for (;;) {
      const auto st = spawn_program(sched, p, vars);
      const Execution e = sched.run(dpor, 0);
      REQUIRE(e.finding.kind == FindingKind::None);
      for (size_t d = 0; d < prefix.size(); ++d) REQUIRE(e.decisions[d] == prefix[d]);  // inside its subtree
      visit(e, *st, dpor.last_was_redundant());
      if (!dpor.next()) break;
      if (++since >= every) {
        auto cut = dpor.split();
        if (!cut.empty()) {
          groups.push_back(std::move(cut));
          since = 0;
        }
      }
    }
    for (auto& g : groups)  // the last group is searched first, each group in order
      for (auto it = g.rbegin(); it != g.rend(); ++it) todo.push_back(std::move(*it));
  }
  return subtrees;
}

Explored run_split_all(const Program& p, int vars, unsigned bound, uint64_t every, uint64_t& subtrees) {
  DporStrategy dpor(bound);
  Explored out;
  subtrees = run_split(p, vars, dpor, every, [&](const Execution& e, const State& st, bool redundant) {
    ++out.executions;
    if (redundant) return;
    ++out.complete;
    const auto nf = normal_form(p, e.decisions);
    out.traces.insert(nf);
    std::vector<int64_t> end = st.vars;
    end.insert(end.end(), st.local.begin(), st.local.end());
    out.final_states.insert(end);
    if (buggy(st)) out.bug_traces.insert(nf);
  });
  return out;
}

}  // namespace

TEST_CASE("dpor split into subtrees: every trace, bug and final state DFS reaches, at every bound", "[dpor][dpor_split]") {
  Prng rng(1207);
  uint64_t split_total = 0, dpor_total = 0, cut = 0;
  for (int round = 0; round < 60; ++round) {
    const int fibers = 2 + static_cast<int>(rng.below(2));
    Program p = random_program(rng, fibers, fibers == 2 ? 5 : 3, 3);
    for (auto& ops : p)
      for (Op& op : ops)
        if (rng.chance(1, 3)) op.var = -1;
    for (unsigned bound : {0u, 1u, 2u, DporStrategy::kUnbounded}) {
      INFO("round " << round << ", bound " << bound);
      DfsStrategy dfs(bound);
      const Explored b = run_all(p, 3, dfs);
      DporStrategy whole(bound);
      const Explored a = run_all(p, 3, whole);
      for (uint64_t every : {1u, 3u}) {
        INFO("split every " << every);
        uint64_t subtrees = 0;
        const Explored s = run_split_all(p, 3, bound, every, subtrees);
        CHECK(s.traces == b.traces);  // every trace within the bound, none beyond
        CHECK(s.bug_traces == b.bug_traces);
        CHECK(s.final_states == b.final_states);
        CHECK(s.executions <= b.executions);
        split_total += s.executions;
        cut += subtrees - 1;
      }
      dpor_total += a.executions;
    }
  }
  INFO("split " << split_total << " executions (two intervals), whole " << dpor_total << ", subtrees cut " << cut);
  CHECK(cut > 500);  // the programs were really cut
  CHECK(split_total > 2 * dpor_total);  // sleep sets do not cross subtrees: splitting costs executions
}

TEST_CASE("dpor split: a search that is never cut runs exactly the unsplit search's executions", "[dpor][dpor_split]") {
  Prng rng(99);
  for (int round = 0; round < 20; ++round) {
    const Program p = random_program(rng, 3, 3, 2);
    for (unsigned bound : {1u, DporStrategy::kUnbounded}) {
      INFO("round " << round << ", bound " << bound);
      DporStrategy whole(bound), split(bound);
      std::vector<std::vector<FiberId>> a, b;
      Scheduler sched;
      do {
        spawn_program(sched, p, 2);
        a.push_back(sched.run(whole, 0).decisions);
      } while (whole.next());
      run_split(p, 2, split, ~uint64_t{0}, [&](const Execution& e, const State&, bool) { b.push_back(e.decisions); });
      CHECK(a == b);
      CHECK(split.traces() == whole.traces());
    }
  }
}

TEST_CASE("dpor split: the continuing subtree keeps its own executions, the cut-off ones start with other choices", "[dpor][dpor_split]") {
  // Two fibers each writing x0 twice: the first state with two choices is the first decision.
  const Program p{{{0, true}, {0, true}}, {{0, true}, {0, true}}};
  DporStrategy dpor;
  Scheduler sched;
  spawn_program(sched, p, 1);
  const Execution first = sched.run(dpor, 0);
  REQUIRE(dpor.next());
  const auto cut = dpor.split();
  REQUIRE(cut.size() == 1);
  CHECK(cut[0].size() == 1);            // cut at the first state: the other fiber
  CHECK(cut[0][0] != first.decisions[0]);
  CHECK(dpor.prefix() == std::vector<FiberId>{first.decisions[0]});
  do {  // the rest of this subtree keeps the first choice
    spawn_program(sched, p, 1);
    CHECK(sched.run(dpor, 0).decisions[0] == first.decisions[0]);
  } while (dpor.next());
  CHECK(dpor.split().empty());  // exhausted: nothing to cut
  // A prefix no execution can take is a tool error, not a silent other schedule.
  DporStrategy bad;
  bad.restrict({7});
  spawn_program(sched, p, 1);
  CHECK(sched.run(bad, 0).finding.kind == FindingKind::ToolError);
}
