#include "scheduler/commute_check.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/label.hpp"
#include "scheduler/prng.hpp"
#include "scheduler/strategies/forwarding_strategy.hpp"
#include "scheduler/strategies/random_strategy.hpp"
#include "scheduler/strategies/replay_strategy.hpp"

namespace fsrace::sched {
namespace {

// The random walk, remembering which fibers could run at each decision (a pair is swappable only when
// the second step's fiber could already run before the first step).
class runnable_recorder final : public ForwardingStrategy {
 public:
  explicit runnable_recorder(Strategy& inner) : ForwardingStrategy(inner) {}
  void begin(uint64_t seed) override {
    runnable.clear();
    inner().begin(seed);
  }
  size_t choose(const Decision& d) override {
    runnable.emplace_back(d.runnable, d.runnable + d.count);
    return inner().choose(d);
  }
  std::vector<std::vector<FiberId>> runnable;  // by step
};

// DPOR's independence (dpor_strategy.cpp): a step that declared it touches nothing commutes with every
// step; an undeclared one with none other; else the footprints decide.
bool claimed_independent(const Footprint& a, const Footprint& b) {
  if (a.empty() || b.empty()) return true;
  if (a.everything() || b.everything()) return false;
  return !dependent(a, b);
}

std::string thread_of(const Execution& ex, FiberId f) {
  return f < ex.fiber_names.size() ? ex.fiber_names[f] : fmt::format("fiber {}", f);
}

}  // namespace

CommuteReport check_commutes(const CommuteRun& run, uint64_t base_seed, uint64_t executions, size_t max_failures,
                             uint64_t max_swaps) {
  RandomStrategy random;
  return check_commutes(run, random, base_seed, executions, max_failures, max_swaps);
}

CommuteReport check_commutes(const CommuteRun& run, Strategy& strategy, uint64_t base_seed, uint64_t executions,
                             size_t max_failures, uint64_t max_swaps) {
  CommuteReport report;
  runnable_recorder sampler(strategy);
  Execution ex, swapped;
  std::vector<uint64_t> hashes;
  std::vector<std::string> texts;
  std::vector<uint8_t> started;  // by step: whether it started a thread
  auto more = [&] { return report.failures.size() < max_failures && report.swapped < max_swaps; };
  for (uint64_t e = 0; e < executions && more(); ++e) {
    const uint64_t seed = execution_seed(base_seed, e);  // as `fsrace explore` numbers a seeded search's executions
    const uint64_t end_state = run(sampler, seed, ex);
    if (ex.footprints.size() != ex.trace.size() || ex.decisions.size() != ex.trace.size() ||
        sampler.runnable.size() < ex.trace.size())
      throw std::logic_error("check_commutes: the run did not record a trace, footprints and decisions for every step");
    ++report.executions;
    report.steps += ex.trace.size();
    hashes.clear();
    texts.clear();
    for (const Step& s : ex.trace) {
      hashes.push_back(label_hash(s.label));
      texts.push_back(format_label(s.label));
    }
    // Re-runs the execution with step j moved to position i (before steps i..j-1): how it differed, or
    // nothing.
    auto rerun_moved = [&](size_t i, size_t j) {
      auto moved = [i, j](auto v) {
        std::rotate(v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(j),
                    v.begin() + static_cast<std::ptrdiff_t>(j + 1));
        return v;
      };
      ReplayStrategy replay(moved(ex.decisions), moved(hashes), moved(texts));
      const uint64_t swapped_state = run(replay, seed, swapped);
      ++report.swapped;
      if (swapped.finding.kind == FindingKind::Divergence)
        return fmt::format("a later step is not the same: {}", swapped.finding.message);
      if (swapped.finding.kind != ex.finding.kind || swapped.finding.message != ex.finding.message)
        return fmt::format("the execution ends otherwise: {} \"{}\" instead of {} \"{}\"", to_string(swapped.finding.kind),
                           swapped.finding.message, to_string(ex.finding.kind), ex.finding.message);
      if (swapped_state != end_state)
        return fmt::format("the end state differs (fingerprint {:016x} instead of {:016x})", swapped_state, end_state);
      return std::string{};
    };
    // Moves step j before step i; when that fails over several steps, the nearest step it fails over
    // (moved over the steps after it, it commutes) is the one named.
    auto try_move = [&](size_t i, size_t j) {
      std::string what = rerun_moved(i, j);
      if (what.empty()) return;
      for (size_t k = j - 1; k > i; --k)  // bounded: k falls to i; only after a failure
        if (std::string nearer = rerun_moved(k, j); !nearer.empty()) {
          i = k;
          what = std::move(nearer);
          break;
        }
      CommuteFailure f;
      f.seed = seed;
      f.step = i;
      f.moved_over = j - i;
      f.first_thread = thread_of(ex, ex.trace[i].fiber);
      f.second_thread = thread_of(ex, ex.trace[j].fiber);
      f.first_label = texts[i];
      f.second_label = texts[j];
      f.first = ex.footprints[i];
      f.second = ex.footprints[j];
      f.what = std::move(what);
      f.decisions = ex.decisions;
      report.failures.push_back(std::move(f));
    };
    auto runnable_before = [&](size_t k, FiberId q) {
      const auto& before = sampler.runnable[k];
      return std::find(before.begin(), before.end(), q) != before.end();
    };
    // Which steps started a thread (a new id is runnable after them). Fibers are numbered in the order
    // they start, so reordering two steps that each start one renumbers them, and a schedule by number
    // would name the wrong threads: such reorders are not re-run (counted in renumbering).
    started.assign(ex.trace.size(), 0);
    FiberId seen = 0;
    for (size_t k = 0; k < ex.trace.size(); ++k) {
      for (FiberId f : sampler.runnable[k]) seen = std::max<FiberId>(seen, f + 1);
      if (k + 1 < sampler.runnable.size())
        for (FiberId f : sampler.runnable[k + 1]) started[k] = started[k] || f >= seen;
    }
    for (size_t j = 1; j < ex.trace.size() && more(); ++j) {
      const FiberId q = ex.trace[j].fiber;
      const Footprint& fq = ex.footprints[j];
      // Adjacent: steps j - 1 and j.
      if (ex.trace[j - 1].fiber == q || !claimed_independent(ex.footprints[j - 1], fq)) continue;
      ++report.claimed;
      if (!runnable_before(j - 1, q)) {  // step j - 1 made q runnable
        ++report.not_enabled;
        continue;
      }
      if (started[j - 1] && started[j]) {
        ++report.renumbering;
        continue;
      }
      try_move(j - 1, j);
      // Further: before every earlier step of other fibers the claims let it move over (q runnable there,
      // and no other step that starts a thread when this one does).
      size_t i = j - 1;
      while (i > 0 && more() && ex.trace[i - 1].fiber != q && claimed_independent(ex.footprints[i - 1], fq) &&
             runnable_before(i - 1, q) && !(started[i - 1] && started[j]))  // bounded: i falls
        --i;
      if (i + 1 < j && more()) {
        ++report.block_moves;
        try_move(i, j);
      }
    }
  }
  return report;
}

}  // namespace fsrace::sched
