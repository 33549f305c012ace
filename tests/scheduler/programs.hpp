#pragma once
// Small concurrent programs shared by the scheduler tests. Each spawn_* function spawns the fibers of
// one execution; state lives in a shared_ptr so every execution starts fresh.
#include <memory>
#include <string>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "scheduler/sync.hpp"

namespace fsrace::sched::testing {

/// Two fibers increment a counter by read / scheduling point / write; a checker waits for both and
/// asserts the counter is 2. Unguarded this is a depth-2 lost-update bug; guarded by a Mutex it is correct.
struct LostUpdate {
  int counter = 0;
  Mutex lock{"counter_lock"};
  Completion done{"increments_done"};
};

inline std::shared_ptr<LostUpdate> spawn_lost_update(Scheduler& s, bool guarded,
                                                     const char* write_label = "write counter") {
  auto st = std::make_shared<LostUpdate>();
  for (const char* name : {"T0", "T1"})
    s.spawn(name, [st, guarded, write_label] {
      if (guarded) st->lock.lock();
      point(L("read counter"));
      const int v = st->counter;
      point(L(write_label));
      st->counter = v + 1;
      if (guarded) st->lock.unlock();
      st->done.complete();
    });
  s.spawn("checker", [st] {
    st->done.wait_for_completion();
    st->done.wait_for_completion();
    FSRACE_ASSERT(st->counter == 2, "counter is {} after two increments", st->counter);
  });
  return st;
}

/// Two fibers take two mutexes in opposite orders (ABBA): deadlocks under some schedules.
struct Abba {
  Mutex a{"a"}, b{"b"};
};

inline std::shared_ptr<Abba> spawn_abba(Scheduler& s) {
  auto st = std::make_shared<Abba>();
  s.spawn("T1", [st] {
    st->a.lock();
    st->b.lock();
    st->b.unlock();
    st->a.unlock();
  });
  s.spawn("T2", [st] {
    st->b.lock();
    st->a.lock();
    st->a.unlock();
    st->b.unlock();
  });
  return st;
}

/// A program using every kind of primitive, for determinism checks: a producer/consumer pair through a
/// wait queue, a worker pool on an atomic and a mutex, a completion and wait_var_event.
struct Rich {
  Mutex lock{"rich_lock"};
  Atomic pending{"pending", 0};
  WaitQueue queue{"work_queue"};
  Completion finished{"finished"};
  int items = 0;
  int consumed = 0;
  int flag = 0;
};

inline std::shared_ptr<Rich> spawn_rich(Scheduler& s) {
  auto st = std::make_shared<Rich>();
  s.spawn("producer", [st] {
    for (int i = 0; i < 4; ++i) {
      st->lock.lock();
      ++st->items;
      st->lock.unlock();
      st->pending.inc();
      st->queue.wake_up();
    }
    st->flag = 1;
    wake_up_var(&st->flag);
  });
  for (const char* name : {"consumer0", "consumer1"})
    s.spawn(name, [st] {
      for (int round = 0; round < 2; ++round) {
        st->queue.wait_event([&] { return st->pending.peek() > 0; });
        if (st->pending.add_return(-1) < 0) {
          st->pending.inc();  // lost the race for that item: give it back and retry
          --round;
          continue;
        }
        st->lock.lock();
        ++st->consumed;
        st->lock.unlock();
      }
      if (st->pending.peek() == 0 && st->consumed == 4) st->finished.complete_all();
    });
  s.spawn("observer", [st] {
    wait_var_event(&st->flag, "flag", [&] { return st->flag == 1; });
    st->finished.wait_for_completion();
    FSRACE_ASSERT(st->consumed == 4, "consumed {}", st->consumed);
  });
  return st;
}

}  // namespace fsrace::sched::testing
