// Set-up shared by the model benches: run a body once in a fiber (model code needs one), exit on any
// finding. Timing helpers come from sim/bench_scheduler.hpp.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "sim/bench_scheduler.hpp"

namespace fsrace::bench_support {

using sim::bench::seconds_since;

inline void in_fiber(const std::function<void()>& body) {
  sched::Scheduler s;
  s.spawn("bench", body);
  sched::RandomStrategy r;
  sched::Execution e = s.run(r, 1);
  if (e.finding.kind != sched::FindingKind::None) {
    std::fprintf(stderr, "bench set-up failed: %s\n", e.finding.message.c_str());
    std::exit(1);
  }
}

}  // namespace fsrace::bench_support
