// Semantics of the kernel-like primitives, checked over every interleaving (exhaustive DFS) where the
// property is about all schedules, and on the first (non-preemptive, lowest id first) DFS schedule
// where a precise order is needed.
#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>

#include "programs.hpp"

using namespace fsrace::sched;

namespace {

/// Runs `spawn_program` under exhaustive DFS; calls `check` on every execution; returns executions.
uint64_t for_all_schedules(const std::function<void(Scheduler&)>& spawn_program,
                           const std::function<void(const Execution&)>& check) {
  Scheduler sched;
  DfsStrategy dfs;
  do {
    spawn_program(sched);
    check(sched.run(dfs, 0));
  } while (dfs.next() && dfs.executions() < 200000);
  REQUIRE(dfs.exhausted());
  return dfs.executions();
}

/// The first DFS schedule: the lowest runnable id runs until it blocks or ends.
Execution run_first_schedule(Scheduler& sched) {
  DfsStrategy dfs;
  return sched.run(dfs, 0);
}

bool trace_has(const Execution& e, const std::string& label) {
  for (const Step& s : e.trace)
    if (format_label(s.label) == label) return true;
  return false;
}

}  // namespace

TEST_CASE("Mutex: mutual exclusion in every schedule plus labels and trylock") {
  struct State {
    Mutex m{"m"};
    int inside = 0;
  };
  const uint64_t n = for_all_schedules(
      [](Scheduler& s) {
        auto st = std::make_shared<State>();
        for (const char* name : {"A", "B", "C"})
          s.spawn(name, [st] {
            st->m.lock();
            ++st->inside;
            point(L("critical section"));
            FSRACE_ASSERT(st->inside == 1, "{} fibers inside", st->inside);
            FSRACE_ASSERT(st->m.owner() == self());
            --st->inside;
            st->m.unlock();
          });
      },
      [](const Execution& e) {
        INFO(e.finding.message);
        REQUIRE(e.finding.kind == FindingKind::None);
      });
  CHECK(n > 100);

  Scheduler sched;
  auto st = std::make_shared<State>();
  std::vector<std::string> order;
  sched.spawn("holder", [st, &order] {
    st->m.lock();
    CHECK_FALSE(st->m.trylock());
    point(L("hold"));
    order.push_back(self_name());
    st->m.unlock();
  });
  for (const char* name : {"w1", "w2"})
    sched.spawn(name, [st, &order] {
      st->m.lock();
      order.push_back(self_name());
      st->m.unlock();
    });
  // First schedule (non-preemptive): the holder runs to its end, then w1, then w2.
  const Execution e = run_first_schedule(sched);
  CHECK(e.finding.kind == FindingKind::None);
  CHECK(order == std::vector<std::string>{"holder", "w1", "w2"});
  CHECK(trace_has(e, "mutex_lock(m)"));
  CHECK(trace_has(e, "mutex_trylock(m)"));
  CHECK(trace_has(e, "mutex_unlock(m)"));
  CHECK_FALSE(st->m.is_locked());
}

TEST_CASE("Mutex: waiters get the lock in FIFO order") {
  Scheduler sched;
  Mutex m("m");
  Completion go("go");
  std::vector<std::string> order;
  sched.spawn("holder", [&] {
    m.lock();
    go.wait_for_completion();  // blocks: w1, w2, w3 queue on m in id order meanwhile
    m.unlock();
  });
  for (const char* name : {"w1", "w2", "w3"})
    sched.spawn(name, [&] {
      m.lock();
      order.push_back(self_name());
      m.unlock();
    });
  sched.spawn("releaser", [&] { go.complete(); });
  const Execution e = run_first_schedule(sched);
  CHECK(e.finding.kind == FindingKind::None);
  CHECK(order == std::vector<std::string>{"w1", "w2", "w3"});
}

TEST_CASE("Mutex: unlocking an unlocked mutex is a WARN - blocking outside a fiber is a tool error") {
  Scheduler sched;
  RandomStrategy random;
  Mutex m("m");
  sched.spawn("T", [&] { m.unlock(); });
  const Execution e = sched.run(random, 1);
  CHECK(e.finding.kind == FindingKind::Warn);
  CHECK(e.finding.message.find("mutex_unlock(m)") != std::string::npos);

  Mutex outside("outside");
  outside.lock();  // set-up code may take locks outside fibers (no scheduling point)
  CHECK(outside.is_locked());
  CHECK_THROWS_WITH(outside.lock(), Catch::Contains("mutex_lock(outside) would block outside a fiber"));
  outside.unlock();
  CHECK_FALSE(outside.is_locked());

  RwSemaphore sem("sem");
  sem.down_read();
  CHECK_THROWS_WITH(sem.down_write(), Catch::Contains("down_write(sem) would block outside a fiber"));
  sem.up_read();  // the failed attempt left no phantom waiter behind
  CHECK(sem.down_write_trylock());
  sem.up_write();
  Completion c("c");
  CHECK_THROWS_WITH(c.wait_for_completion(), Catch::Contains("wait_for_completion(c) would block"));
  c.complete();
  c.wait_for_completion();  // done: no need to block
  CHECK_FALSE(c.done());
}

TEST_CASE("SpinLock: exclusive and labelled spin_lock and named in deadlocks") {
  Scheduler sched;
  auto a = std::make_shared<SpinLock>("sa");
  auto b = std::make_shared<SpinLock>("sb");
  DfsStrategy dfs;
  bool deadlock = false;
  do {
    sched.spawn("X", [a, b] {
      a->spin_lock();
      b->spin_lock();
      b->spin_unlock();
      a->spin_unlock();
    });
    sched.spawn("Y", [a, b] {
      b->lock();
      a->lock();
      a->unlock();
      b->unlock();
    });
    const Execution e = sched.run(dfs, 0);
    if (e.finding.kind == FindingKind::Deadlock) {
      CHECK(e.finding.message == "X waits for spin_lock(sb); Y waits for spin_lock(sa)");
      deadlock = true;
    } else {
      REQUIRE(e.finding.kind == FindingKind::None);
    }
    // Locks persist across executions here, but a deadlocked execution leaves them held: reset.
    *a = SpinLock("sa");
    *b = SpinLock("sb");
  } while (dfs.next());
  CHECK(deadlock);
}

TEST_CASE("RwSemaphore: readers share and writers exclude in every schedule") {
  struct State {
    RwSemaphore sem{"sem"};
    int readers = 0, writers = 0, max_readers = 0;
  };
  int max_readers_seen = 0;
  for_all_schedules(
      [&max_readers_seen](Scheduler& s) {
        auto st = std::make_shared<State>();
        for (const char* name : {"R1", "R2"})
          s.spawn(name, [st, &max_readers_seen] {
            st->sem.down_read();
            ++st->readers;
            max_readers_seen = std::max(max_readers_seen, st->readers);
            FSRACE_ASSERT(st->writers == 0);
            point(L("read"));
            --st->readers;
            st->sem.up_read();
          });
        s.spawn("W", [st] {
          st->sem.down_write();
          ++st->writers;
          FSRACE_ASSERT(st->readers == 0 && st->writers == 1);
          point(L("write"));
          --st->writers;
          st->sem.up_write();
        });
      },
      [](const Execution& e) {
        INFO(e.finding.message);
        REQUIRE(e.finding.kind == FindingKind::None);
      });
  CHECK(max_readers_seen == 2);  // some schedule had both readers inside at once
}

TEST_CASE("RwSemaphore: a reader queues behind a waiting writer (FIFO fairness) - trylocks") {
  Scheduler sched;
  RwSemaphore sem("sem");
  Completion go("go");
  std::vector<std::string> order;
  sched.spawn("R1", [&] {
    sem.down_read();
    go.wait_for_completion();
    sem.up_read();
  });
  sched.spawn("W", [&] {
    sem.down_write();  // R1 reads: W queues
    order.push_back("W");
    sem.up_write();
  });
  sched.spawn("R2", [&] {
    sem.down_read();  // only a reader holds it, but W waits: R2 must queue behind W
    order.push_back("R2");
    sem.up_read();
  });
  sched.spawn("checker", [&] {
    FSRACE_ASSERT(sem.readers() == 1 && !sem.write_locked(), "readers {} writer {}", sem.readers(),
                  sem.write_locked());
    FSRACE_ASSERT(!sem.down_read_trylock(), "reader got in past a waiting writer");
    FSRACE_ASSERT(!sem.down_write_trylock());
    go.complete();
  });
  const Execution e = run_first_schedule(sched);
  INFO(e.finding.message);
  CHECK(e.finding.kind == FindingKind::None);
  CHECK(order == std::vector<std::string>{"W", "R2"});
  CHECK(trace_has(e, "down_read(sem)"));
  CHECK(trace_has(e, "down_write(sem)"));
  CHECK(trace_has(e, "up_write(sem)"));
  CHECK(trace_has(e, "down_read_trylock(sem)"));
}

TEST_CASE("WaitQueue: wait_event returns once the condition holds - a missing wake_up deadlocks") {
  for (bool wakes : {true, false}) {
    bool finished_clean = false, deadlocked = false;
    for_all_schedules(
        [wakes](Scheduler& s) {
          auto flag = std::make_shared<int>(0);
          auto wq = std::make_shared<WaitQueue>("wq");
          s.spawn("waiter", [flag, wq] {
            wq->wait_event([&] { return *flag == 1; });
            FSRACE_ASSERT(*flag == 1);
          });
          s.spawn("setter", [flag, wq, wakes] {
            point(L("set flag"));
            *flag = 1;
            if (wakes) wq->wake_up();
          });
        },
        [&](const Execution& e) {
          if (e.finding.kind == FindingKind::None) {
            finished_clean = true;
          } else {
            REQUIRE(e.finding.kind == FindingKind::Deadlock);
            CHECK(e.finding.message == "waiter waits for wait_event(wq)");
            deadlocked = true;
          }
        });
    CHECK(finished_clean);
    CHECK(deadlocked == !wakes);
  }
}

TEST_CASE("Completion: complete() releases one waiter - complete_all() every present and future one") {
  Scheduler sched;
  RandomStrategy random;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto done = std::make_shared<Completion>("done");
    auto passed = std::make_shared<int>(0);
    for (const char* name : {"w1", "w2"})
      sched.spawn(name, [done, passed] {
        done->wait_for_completion();
        ++*passed;
      });
    sched.spawn("completer", [done] { done->complete(); });
    const Execution e = sched.run(random, seed);
    REQUIRE(e.finding.kind == FindingKind::Deadlock);  // exactly one waiter is left behind
    CHECK(*passed == 1);
    CHECK((e.finding.message == "w1 waits for wait_for_completion(done)" ||
           e.finding.message == "w2 waits for wait_for_completion(done)"));
  }
  for (uint64_t seed = 0; seed < 50; ++seed) {
    auto done = std::make_shared<Completion>("done");
    auto passed = std::make_shared<int>(0);
    for (const char* name : {"w1", "w2", "w3"})
      sched.spawn(name, [done, passed] {
        done->wait_for_completion();
        ++*passed;
      });
    sched.spawn("completer", [done] {
      done->complete_all();
      FSRACE_ASSERT(done->done());
    });
    const Execution e = sched.run(random, seed);
    REQUIRE(e.finding.kind == FindingKind::None);
    CHECK(*passed == 3);
    CHECK(done->done());
  }
}

TEST_CASE("wait_var_event and wake_up_var: keyed by address and named in labels") {
  for (bool wakes : {true, false}) {
    bool clean = false, deadlocked = false;
    for_all_schedules(
        [wakes](Scheduler& s) {
          auto state = std::make_shared<std::array<int, 2>>();  // two variables, two keys
          s.spawn("waiter", [state] {
            wait_var_event(&(*state)[0], "refs", [&] { return (*state)[0] == 0 && (*state)[1] == 1; });
          });
          s.spawn("other", [state] {
            wait_var_event(&(*state)[1], "other_var", [&] { return (*state)[1] == 1; });
          });
          s.spawn("waker", [state, wakes] {
            (*state)[1] = 1;
            wake_up_var(&(*state)[1]);
            if (wakes) wake_up_var(&(*state)[0]);
          });
        },
        [&](const Execution& e) {
          if (e.finding.kind == FindingKind::None) {
            clean = true;
          } else {
            REQUIRE(e.finding.kind == FindingKind::Deadlock);
            CHECK(e.finding.message == "waiter waits for wait_var_event(refs)");
            deadlocked = true;
          }
        });
    CHECK(clean);
    CHECK(deadlocked == !wakes);
  }
}

TEST_CASE("Atomic: operations and labels and atomic increments never lose an update") {
  Scheduler sched;
  RandomStrategy random;
  sched.spawn("T", [] {
    Atomic a("refs", 5);
    CHECK(a.read() == 5);
    a.inc();
    a.dec();
    a.set(2);
    CHECK(a.add_return(3) == 5);
    CHECK(a.cmpxchg(4, 9) == 5);  // fails: value stays 5
    CHECK(a.peek() == 5);
    CHECK(a.cmpxchg(5, 1) == 5);  // succeeds
    CHECK_FALSE(a.dec_and_test() == false);
    CHECK(a.peek() == 0);
  });
  const Execution e = sched.run(random, 0);
  CHECK(e.finding.kind == FindingKind::None);
  for (const char* label : {"atomic_read(refs)", "atomic_inc(refs)", "atomic_dec(refs)", "atomic_set(refs)",
                            "atomic_add_return(refs)", "atomic_cmpxchg(refs)", "atomic_dec_and_test(refs)"})
    CHECK(trace_has(e, label));

  for_all_schedules(
      [](Scheduler& s) {
        auto counter = std::make_shared<Atomic>("counter", 0);
        auto done = std::make_shared<Completion>("done");
        for (const char* name : {"A", "B"})
          s.spawn(name, [counter, done] {
            counter->inc();
            counter->inc();
            done->complete();
          });
        s.spawn("check", [counter, done] {
          done->wait_for_completion();
          done->wait_for_completion();
          FSRACE_ASSERT(counter->read() == 4, "counter {}", counter->peek());
        });
      },
      [](const Execution& e) { REQUIRE(e.finding.kind == FindingKind::None); });
}

TEST_CASE("copying a primitive gives a fresh one with the same name - never with waiters") {
  Mutex m("m");
  m.lock();
  Mutex copy = m;
  CHECK_FALSE(copy.is_locked());
  CHECK(std::string(copy.name()) == "m");
  Atomic a("a", 41);
  Atomic b = a;
  CHECK(b.peek() == 41);
  Completion c("c");
  c.complete_all();
  Completion c2 = c;
  CHECK(c2.done());
  RwSemaphore r("r");
  r.down_write();
  RwSemaphore r2 = r;
  CHECK_FALSE(r2.write_locked());

  Scheduler sched;
  DfsStrategy dfs;  // first schedule: "holder" takes the lock and blocks, "waiter" queues, "copier" copies
  auto lock = std::make_shared<Mutex>("busy");
  auto go = std::make_shared<Completion>("go");
  sched.spawn("holder", [lock, go] {
    lock->lock();
    go->wait_for_completion();
    lock->unlock();
  });
  sched.spawn("waiter", [lock] { lock->lock(); });
  sched.spawn("copier", [lock] { Mutex copy = *lock; });
  const Execution e = sched.run(dfs, 0);
  CHECK(e.finding.kind == FindingKind::ToolError);
  CHECK(e.finding.message.find("copying lock busy while fibers wait on it") != std::string::npos);
}
