#pragma once
// Scheduler figures shared by `fsrace bench` and build/bench_scheduler: the raw Boost.Context round trip
// (the physical limit of a context switch on this machine) and the cost of one scheduling decision on a
// two-fiber ping-pong. Timing figures only: nothing here feeds a result.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>

#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sim::bench {

using clock = std::chrono::steady_clock;
inline double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

/// CPU time of the calling thread: on a shared machine it counts only this thread's work, so figures
/// measured with it (single-threaded work) vary far less with the load than wall-clock ones.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// CPU time of the whole process (every thread): what a multi-threaded search (--jobs) costs.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// main -> fiber -> main, `n` times; CPU ns per round trip.
double raw_round_trip_ns(uint64_t n);

/// Cycles through the runnable fibers: the cheapest possible strategy (no division, no PRNG).
struct round_robin final : sched::Strategy {
  size_t next = 0;
  void begin(uint64_t) override { next = 0; }
  size_t choose(const sched::Decision& d) override {
    if (next >= d.count) next = 0;
    return next++;
  }
};

struct ping_pong_figures {
  double ns_per_decision = 0;
  uint64_t decisions = 0;
};
/// Two fibers ping-ponging through point(): about `decisions` decisions split over `executions`
/// executions of one Scheduler; CPU ns per decision. Throws std::runtime_error if an execution ends with a finding.
ping_pong_figures ping_pong(sched::Strategy&, uint64_t decisions, uint64_t executions, bool record_trace);

/// The least disturbed of `repeat` measurements (the machine is shared: the minimum is the cleanest).
template <class F>
double best_of(uint64_t repeat, F measure) {
  double best = measure();
  for (uint64_t r = 1; r < repeat; ++r) best = std::min(best, measure());
  return best;
}

}  // namespace fsrace::sim::bench
