// Scheduler hot-path benchmark: raw Boost.Context round trip vs. one scheduling decision of the
// Scheduler (two fibers ping-ponging through point()). The measurements live in sim/bench_scheduler
// (shared with `fsrace bench`); this adds the trace-off / round-robin rows and trace hashing.
// Usage: bench_scheduler [--iterations N] [--executions E] [--repeat R]
//   N round trips / decisions per measurement, split into E executions; every figure is the best of R
//   measurements (the machine is shared, so the minimum is the least disturbed one).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "sim/bench_scheduler.hpp"

using namespace fsrace::sched;
namespace bench = fsrace::sim::bench;

namespace {

uint64_t flag_value(int argc, char** argv, const char* flag, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: %s [--iterations N] [--executions E] [--repeat R]\n", argv[0]);
      return 0;
    }
  const uint64_t n = flag_value(argc, argv, "--iterations", 20'000'000);
  const uint64_t executions = std::max<uint64_t>(1, flag_value(argc, argv, "--executions", 100));
  const uint64_t repeat = std::max<uint64_t>(1, flag_value(argc, argv, "--repeat", 5));
  std::printf("bench_scheduler: %llu iterations, %llu executions per scheduler measurement, best of %llu\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(executions),
              static_cast<unsigned long long>(repeat));

  const double raw = bench::best_of(repeat, [&] { return bench::raw_round_trip_ns(n); });
  std::printf("raw boost::context round trip (main->fiber->main): %.2f ns\n", raw);

  RandomStrategy random;
  bench::round_robin round_robin;
  struct Row { const char* what; Strategy* s; bool trace; };
  for (const Row& row : {Row{"random, trace on", &random, true}, Row{"random, trace off", &random, false},
                         Row{"round-robin, trace on", &round_robin, true},
                         Row{"round-robin, trace off", &round_robin, false}}) {
    const double ns = bench::best_of(repeat, [&] { return bench::ping_pong(*row.s, n, executions, row.trace).ns_per_decision; });
    std::printf("scheduler ping-pong (%s): %.2f ns/decision, %.1f M decisions/s, %.2fx raw round trip\n", row.what, ns,
                1e3 / ns, ns / raw);
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
    const double best = bench::best_of(repeat, [&] {
      const auto start = bench::clock::now();
      hash = e.trace_hash();
      return bench::seconds_since(start) * 1e9 / static_cast<double>(e.trace.size());
    });
    std::printf("trace_hash: %.2f ns/step (%zu steps, hash %016llx)\n", best, e.trace.size(),
                static_cast<unsigned long long>(hash));
  }
  return 0;
}
