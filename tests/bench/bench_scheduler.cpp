// Scheduler hot-path benchmark: raw Boost.Context round trip vs. one scheduling decision of the
// Scheduler (two fibers ping-ponging through point()).
// Usage: bench_scheduler [--iterations N] [--executions E] [--repeat R]
//   N round trips / decisions per measurement, split into E executions; every figure is the best of R
//   measurements (the machine is shared, so the minimum is the least disturbed one).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <boost/context/fiber.hpp>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

namespace ctx = boost::context;
using namespace fsrace::sched;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// main -> fiber -> main, N times; returns ns per round trip.
double raw_round_trip_ns(uint64_t n) {
  volatile uint64_t sink = 0;
  ctx::fiber f{[&sink](ctx::fiber&& main) {
    for (;;) {  // runs until destroyed (forced unwind)
      sink = sink + 1;
      main = std::move(main).resume();
    }
    return std::move(main);
  }};
  f = std::move(f).resume();  // warm up: enter the loop once
  const auto start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) f = std::move(f).resume();
  return seconds_since(start) * 1e9 / static_cast<double>(n);
}

/// Cycles through the runnable fibers: the cheapest possible strategy (no division, no PRNG).
struct RoundRobin final : Strategy {
  size_t next = 0;
  void begin(uint64_t) override { next = 0; }
  size_t choose(const Decision& d) override {
    if (next >= d.count) next = 0;
    return next++;
  }
};

struct Figures {
  double ns_per_decision;
  uint64_t decisions;
};

/// Two fibers, each `per_fiber` points, repeated over `executions` executions of one Scheduler.
Figures ping_pong(Strategy& strategy, uint64_t decisions_total, uint64_t executions, bool record_trace) {
  Options opt;
  opt.record_trace = record_trace;
  opt.max_steps = ~0ull;
  Scheduler sched(opt);
  const uint64_t per_fiber = decisions_total / executions / 2;
  uint64_t decisions = 0;
  Execution e;
  const auto start = Clock::now();
  for (uint64_t x = 0; x < executions; ++x) {
    for (const char* name : {"ping", "pong"})
      sched.spawn(name, [per_fiber] {
        for (uint64_t i = 0; i < per_fiber; ++i) point(L("ping-pong {}", i));
      });
    sched.run_into(strategy, execution_seed(42, x), e);
    if (e.finding.kind != FindingKind::None) {
      std::fprintf(stderr, "unexpected finding: %s\n", e.finding.message.c_str());
      std::exit(1);
    }
    decisions += e.decisions.size();
  }
  return {seconds_since(start) * 1e9 / static_cast<double>(decisions), decisions};
}

uint64_t flag_value(int argc, char** argv, const char* flag, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: %s [--iterations N] [--executions E]\n", argv[0]);
      return 0;
    }
  const uint64_t n = flag_value(argc, argv, "--iterations", 20'000'000);
  const uint64_t executions = std::max<uint64_t>(1, flag_value(argc, argv, "--executions", 100));
  const uint64_t repeat = std::max<uint64_t>(1, flag_value(argc, argv, "--repeat", 5));
  std::printf("bench_scheduler: %llu iterations, %llu executions per scheduler measurement, best of %llu\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(executions),
              static_cast<unsigned long long>(repeat));

  double raw = 1e300;
  for (uint64_t r = 0; r < repeat; ++r) raw = std::min(raw, raw_round_trip_ns(n));
  std::printf("raw boost::context round trip (main->fiber->main): %.2f ns\n", raw);

  RandomStrategy random;
  RoundRobin round_robin;
  struct Row { const char* what; Strategy* s; bool trace; };
  for (const Row& row : {Row{"random, trace on", &random, true}, Row{"random, trace off", &random, false},
                         Row{"round-robin, trace on", &round_robin, true},
                         Row{"round-robin, trace off", &round_robin, false}}) {
    Figures f = ping_pong(*row.s, n, executions, row.trace);
    for (uint64_t r = 1; r < repeat; ++r) {
      const Figures again = ping_pong(*row.s, n, executions, row.trace);
      if (again.ns_per_decision < f.ns_per_decision) f = again;
    }
    std::printf("scheduler ping-pong (%s): %.2f ns/decision, %.1f M decisions/s, %.2fx raw round trip\n", row.what,
                f.ns_per_decision, 1e3 / f.ns_per_decision, f.ns_per_decision / raw);
  }
  // Hashing a recorded trace (done per execution by explorers that count distinct schedules).
  {
    Scheduler sched;
    for (const char* name : {"ping", "pong"})
      sched.spawn(name, [] {
        for (uint64_t i = 0; i < 100000; ++i) point(Ls("mutex_lock({})", "balance_mutex", i));
      });
    const Execution e = sched.run(random, 1);
    uint64_t hash = 0;
    double best = 1e300;
    for (uint64_t r = 0; r < repeat; ++r) {
      const auto start = Clock::now();
      hash = e.trace_hash();
      best = std::min(best, seconds_since(start) * 1e9 / static_cast<double>(e.trace.size()));
    }
    std::printf("trace_hash: %.2f ns/step (%zu steps, hash %016llx)\n", best, e.trace.size(),
                static_cast<unsigned long long>(hash));
  }
  return 0;
}
