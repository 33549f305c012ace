#include "sim/bench_scheduler.hpp"

#include <stdexcept>

#include <boost/context/fiber.hpp>

#include "scheduler/prng.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::sim::bench {

double raw_round_trip_ns(uint64_t n) {
  namespace ctx = boost::context;
  volatile uint64_t sink = 0;
  ctx::fiber f{[&sink](ctx::fiber&& main) {
    for (;;) {  // runs until destroyed (forced unwind)
      sink = sink + 1;
      main = std::move(main).resume();
    }
    return std::move(main);
  }};
  f = std::move(f).resume();  // warm up: enter the loop once
  const double start = thread_cpu_seconds();
  for (uint64_t i = 0; i < n; ++i) f = std::move(f).resume();
  return (thread_cpu_seconds() - start) * 1e9 / static_cast<double>(n);
}

ping_pong_figures ping_pong(sched::Strategy& strategy, uint64_t decisions_total, uint64_t executions, bool record_trace) {
  sched::Options opt;
  opt.record_trace = record_trace;
  opt.max_steps = ~0ull;
  sched::Scheduler sched(opt);
  const uint64_t per_fiber = decisions_total / executions / 2;
  uint64_t decisions = 0;
  sched::Execution e;
  const double start = thread_cpu_seconds();
  for (uint64_t x = 0; x < executions; ++x) {
    for (const char* name : {"ping", "pong"})
      sched.spawn(name, [per_fiber] {
        for (uint64_t i = 0; i < per_fiber; ++i) sched::point(sched::L("ping-pong {}", i));
      });
    sched.run_into(strategy, sched::execution_seed(42, x), e);
    if (e.finding.kind != sched::FindingKind::None) throw std::runtime_error("ping-pong ended with " + e.finding.message);
    decisions += e.decisions.size();
  }
  return {(thread_cpu_seconds() - start) * 1e9 / static_cast<double>(decisions), decisions};
}

}  // namespace fsrace::sim::bench
