#include "sim/explore.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <malloc.h>
#include <time.h>

#include <fmt/format.h>

#include "sim/coverage.hpp"
#include "sim/dfs_split.hpp"
#include "sim/interrupt.hpp"

namespace fsrace::sim {
namespace {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The CPU time budget of one exploration (explore_request::cpu_budget), shared by its workers.
class cpu_deadline {
 public:
  explicit cpu_deadline(double budget) : end_(budget > 0 ? process_cpu_seconds() + budget : 0) {}
  /// True once the budget is spent; stays true (workers and the accounting agree on it).
  bool passed() const {
    if (end_ == 0) return false;
    if (hit_.load(std::memory_order_relaxed)) return true;
    if (process_cpu_seconds() < end_) return false;
    hit_.store(true, std::memory_order_relaxed);
    return true;
  }
  bool hit() const { return hit_.load(std::memory_order_relaxed); }

 private:
  double end_;
  mutable std::atomic<bool> hit_{false};
};

violation_record record_of(uint64_t index, uint64_t key, const sched::Execution& ex, const executor& exec) {
  violation_record r;
  r.model_bytes = exec.peak_state_bytes();
  r.index = index;
  r.key = key;
  r.finding = ex.finding;
  r.decisions = ex.decisions;
  r.steps = ex.steps;
  r.preemptions = ex.preemptions;
  return r;
}

// Files one finished execution; returns false when the exploration must stop.
bool account(exploration& out, const explore_request& req, violation_record&& rec) {
  ++out.executions;
  out.peak_model_bytes = std::max(out.peak_model_bytes, rec.model_bytes);
  if (interrupt_requested()) out.interrupted = true;  // Ctrl-C: this execution counts, then stop
  switch (classify(rec.finding)) {
    case outcome::clean: return !out.interrupted;
    case outcome::tool_error:
      out.tool_error = std::move(rec);
      return false;
    case outcome::divergence:
      out.divergence = std::move(rec);
      return false;
    case outcome::violation: break;
  }
  ++out.violating_executions;
  for (auto& v : out.violations)
    if (v.finding.kind == rec.finding.kind && v.finding.message == rec.finding.message) {
      ++v.occurrences;
      return true;
    }
  const bool is_wanted = req.wanted && req.wanted(rec.finding);
  const bool room = req.max_violations == 0 || out.violations.size() < req.max_violations;
  if (room || is_wanted) out.violations.push_back(std::move(rec));
  if (out.interrupted) return false;
  if (req.wanted) return !is_wanted;
  return req.max_violations == 0 || out.violations.size() < req.max_violations;
}

// One worker: an executor and the seeded strategy of the run.
struct seeded_worker {
  seeded_worker(const prepared_scenario& p, const explore_settings& s, const model::fix_set& fixes, uint64_t pct_steps)
      : exec(p, s.max_steps, false) {
    exec.set_fixes(fixes);
    if (s.strategy == strategy_kind::pct) strategy = std::make_unique<sched::PctStrategy>(s.depth, pct_steps);
    else strategy = std::make_unique<sched::RandomStrategy>();
  }
  // Runs execution `index`; a clean one's record holds no decisions.
  violation_record run(uint64_t base_seed, uint64_t index) {
    const uint64_t seed = sched::execution_seed(base_seed, index);
    exec.run(*strategy, seed, ex);
    if (ex.finding.kind != sched::FindingKind::None) return record_of(index, seed, ex, exec);
    violation_record clean;
    clean.index = index, clean.key = seed, clean.model_bytes = exec.peak_state_bytes();
    return clean;
  }
  executor exec;
  std::unique_ptr<sched::Strategy> strategy;
  sched::Execution ex;
};

// Random and PCT: executions are independent given their seeds, so workers run a round of indexes in
// parallel and the results are accounted in index order, stopping where one worker would have stopped.
void explore_seeded(const prepared_scenario& prepared, const explore_request& req, const model::fix_set& fixes,
                    exploration& out, const cpu_deadline& deadline) {
  const auto& s = req.settings;
  const unsigned jobs = std::max(1u, req.jobs);
  std::vector<std::unique_ptr<seeded_worker>> workers;
  for (unsigned w = 0; w < jobs; ++w) workers.push_back(std::make_unique<seeded_worker>(prepared, s, fixes, out.pct_steps));
  const uint64_t round = jobs == 1 ? 1 : uint64_t{jobs} * 256;
  std::vector<std::optional<violation_record>> results(round);
  std::vector<char> ran(round, 0);  // ran[i]: execution base + i ran (the time budget may stop a round early)
  for (uint64_t base = out.first; base < out.end;) {
    const uint64_t count = std::min(round, out.end - base);
    if (deadline.passed()) {
      out.time_up = true;
      return;
    }
    if (jobs == 1) {
      results[0] = workers[0]->run(s.seed, base);
      ran[0] = 1;
    } else {
      std::vector<std::thread> threads;
      for (unsigned w = 0; w < jobs; ++w)
        threads.emplace_back([&, w] {
          for (uint64_t i = w; i < count && !deadline.passed(); i += jobs) {
            results[i] = workers[w]->run(s.seed, base + i);
            ran[i] = 1;
          }
        });
      for (auto& t : threads) t.join();
    }
    for (uint64_t i = 0; i < count; ++i) {
      if (!ran[i]) {  // the first execution the budget left out: accounting stops where it did
        out.time_up = true;
        return;
      }
      ran[i] = 0;
      violation_record rec = std::move(*results[i]);
      results[i].reset();
      const bool go_on = account(out, req, std::move(rec));
      if (req.progress && req.progress_every && out.executions % req.progress_every == 0)
        req.progress(out.executions, out.violations.size());
      if (!go_on) return;
    }
    base += count;
  }
}


// One subtree of a split DFS, searched by one worker: every execution that did not end clean, numbered
// from 0 within the subtree (decisions kept only on the first of each kind and message: the accounting
// never needs the others').
struct subtree_run {
  uint64_t executions = 0;
  bool complete = false;  // searched to its end (not stopped by a violation, tool error or the run limit)
  std::vector<violation_record> records;
  // (execution, peak model bytes of the executions up to it) where that running peak grows: the peak of
  // any prefix the accounting keeps, in a few entries.
  std::vector<std::pair<uint64_t, uint64_t>> peak_steps;
};

subtree_run run_subtree(executor& exec, sched::DfsStrategy& dfs, const std::vector<sched::FiberId>& prefix,
                        const explore_request& req, std::atomic<bool>& cancel, const cpu_deadline& deadline) {
  subtree_run out;
  exploration local;  // the subtree on its own: where it stops, the whole exploration has stopped too
  sched::Execution ex;
  dfs.restrict(prefix);
  while (out.executions < req.settings.runs && !cancel.load(std::memory_order_relaxed)) {
    if (deadline.passed() || interrupt_requested()) {  // Ctrl-C: the accounting stops at the same point
      cancel = true;
      break;
    }
    exec.run(dfs, 0, ex);
    const uint64_t i = out.executions++;
    if (out.peak_steps.empty() || exec.peak_state_bytes() > out.peak_steps.back().second)
      out.peak_steps.emplace_back(i, exec.peak_state_bytes());
    bool go_on = true;
    if (ex.finding.kind != sched::FindingKind::None) {
      violation_record rec = record_of(i, i, ex, exec);
      const bool seen = std::any_of(out.records.begin(), out.records.end(), [&](const violation_record& r) {
        return r.finding.kind == rec.finding.kind && r.finding.message == rec.finding.message;
      });
      if (seen) rec.decisions.clear();
      out.records.push_back(rec);
      go_on = account(local, req, std::move(rec));
    }
    if (!dfs.next()) {
      out.complete = true;
      break;
    }
    if (!go_on) break;
  }
  return out;
}

// Split DFS: the subtrees of the part are searched by `jobs` workers and accounted in order, so the
// executions, their indexes and the violations are those of the unsplit search (of that part).
void explore_dfs_split(const prepared_scenario& prepared, const explore_request& req, const model::fix_set& fixes,
                       exploration& out, const cpu_deadline& deadline) {
  const auto& s = req.settings;
  const unsigned jobs = std::max(1u, req.jobs);
  executor probe(prepared, s.max_steps, false);
  probe.set_fixes(fixes);
  const uint64_t parts = req.part.count ? req.part.count : jobs;
  const auto all = dfs_subtrees(probe, s.preemptions, parts * kSubtreesPerPart);
  out.subtree_count = all.size();
  std::vector<uint64_t> mine;  // subtree ids of this part, in order
  for (uint64_t i = req.part.index; i < all.size(); i += std::max<uint64_t>(1, req.part.count)) mine.push_back(i);

  std::vector<std::optional<subtree_run>> results(mine.size());
  std::mutex lock;
  std::condition_variable ready;
  std::atomic<uint64_t> next_task{0};
  std::atomic<bool> cancel{false};
  auto work = [&](executor& exec) {
    sched::DfsStrategy dfs(s.preemptions);
    // Every task gets a result (an empty one once cancelled): the accounting waits for them in order.
    for (uint64_t t; (t = next_task.fetch_add(1)) < mine.size();) {
      subtree_run r = run_subtree(exec, dfs, all[mine[t]], req, cancel, deadline);
      std::lock_guard<std::mutex> guard(lock);
      results[t] = std::move(r);
      ready.notify_all();
    }
  };
  std::vector<std::unique_ptr<executor>> executors;
  std::vector<std::thread> threads;
  if (jobs > 1)
    for (unsigned w = 0; w < jobs; ++w) {
      executors.push_back(std::make_unique<executor>(prepared, s.max_steps, false));
      executors.back()->set_fixes(fixes);
      threads.emplace_back(work, std::ref(*executors.back()));
    }

  bool stopped = false;
  for (uint64_t t = 0; t < mine.size() && !stopped; ++t) {
    subtree_run r;
    if (jobs == 1) {
      sched::DfsStrategy dfs(s.preemptions);
      r = run_subtree(probe, dfs, all[mine[t]], req, cancel, deadline);
    } else {
      std::unique_lock<std::mutex> guard(lock);
      ready.wait(guard, [&] { return results[t].has_value(); });
      r = std::move(*results[t]);
      results[t].reset();
    }
    const uint64_t offset = out.executions;
    size_t next_record = 0, next_peak = 0;
    uint64_t peak = 0;
    uint64_t i = 0;
    for (; i < r.executions; ++i) {
      if (out.executions >= s.runs) {
        stopped = true;
        break;
      }
      if (next_peak < r.peak_steps.size() && r.peak_steps[next_peak].first == i) peak = r.peak_steps[next_peak++].second;
      violation_record rec;
      if (next_record < r.records.size() && r.records[next_record].index == i) rec = std::move(r.records[next_record++]);
      rec.index = rec.key = offset + i;
      rec.model_bytes = peak;
      const bool go_on = account(out, req, std::move(rec));
      if (req.progress && req.progress_every && out.executions % req.progress_every == 0)
        req.progress(out.executions, out.violations.size());
      if (!go_on) {
        stopped = true;
        ++i;
        break;
      }
    }
    out.subtrees.emplace_back(mine[t], i);
    if (i < r.executions || !r.complete) stopped = true;
    else if (t + 1 == mine.size()) out.exhausted = true;
  }
  cancel = true;
  for (auto& th : threads) th.join();
  out.time_up = !out.exhausted && deadline.hit();
}

// A systematic search on one thread, executions numbered in the order of the search.
template <class Systematic>
void explore_in_order(const prepared_scenario& prepared, const explore_request& req, const model::fix_set& fixes,
                      Systematic& strategy, const cpu_deadline& deadline, exploration& out) {
  const auto& s = req.settings;
  executor exec(prepared, s.max_steps, false);
  exec.set_fixes(fixes);
  sched::Execution ex;
  for (uint64_t i = 0; i < s.runs; ++i) {
    if (deadline.passed()) {
      out.time_up = true;
      break;
    }
    exec.run(strategy, 0, ex);
    violation_record rec = ex.finding.kind == sched::FindingKind::None ? violation_record{} : record_of(i, i, ex, exec);
    rec.index = rec.key = i;
    rec.model_bytes = exec.peak_state_bytes();
    const bool go_on = account(out, req, std::move(rec));
    if (req.progress && req.progress_every && out.executions % req.progress_every == 0)
      req.progress(out.executions, out.violations.size());
    if (!strategy.next()) {
      out.exhausted = true;
      break;
    }
    if (!go_on) break;
  }
}

}  // namespace

void tune_allocator_once() {
  // Each execution frees what the previous one allocated and allocates it again: by default glibc gives
  // the top of the heap back (brk) after the frees and asks for it again (about two system calls per
  // execution, and page faults on the fresh pages), and serves buffers above the dynamic mmap threshold
  // with mmap/munmap. Keep the memory instead: no trimming, no mmap below 32 MiB, heap grown in 16 MiB steps.
  static const bool tuned = [] {
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts on 64-bit
    mallopt(M_TOP_PAD, 16 << 20);
    return true;
  }();
  (void)tuned;
}

sched::TreeEstimate estimate_dfs_executions(executor& exec, unsigned bound, uint64_t run_budget) {
  sched::EstimateLimits limits;
  limits.run_budget = run_budget;
  // An unbounded search has no depth a probe must reach: past 64 non-default choices its estimate is unsettled.
  limits.max_levels = bound == sched::DfsStrategy::kUnbounded ? 64 : 64 + 4 * bound;
  return sched::estimate_bounded_dfs([&exec](sched::Strategy& s, sched::Execution& ex) { exec.run(s, 0, ex); }, bound,
                                     limits, 0x6b6e757468ULL);
}

std::string describe_coverage(const exploration& e) {
  coverage_facts f;
  f.executions = e.executions;
  f.exhausted = e.exhausted;
  f.systematic = is_systematic(e.settings.strategy);
  f.reduced = e.settings.strategy == strategy_kind::dpor;
  f.time_up = e.time_up;
  f.estimate = e.estimated_executions;
  f.estimate_error = e.estimate_error;
  f.estimate_settled = e.estimate_settled;
  return coverage_phrase(f);
}

uint64_t pct_estimate(executor& exec) {
  sched::DfsStrategy non_preemptive(0);
  sched::Execution ex;
  exec.run(non_preemptive, 0, ex);
  return std::max<uint64_t>(1, ex.steps);
}

exploration explore(const prepared_scenario& prepared, const explore_request& req) {
  tune_allocator_once();
  const scenario& sc = prepared.the_scenario();
  exploration out;
  out.settings = req.settings;
  out.fixes = req.fixes;
  const model::fix_set fixes = resolve_fixes(sc.fixes, req.fixes);
  out.fixes_resolved = fixes.describe();
  const auto& s = req.settings;
  out.first = req.first;
  out.end = req.end ? req.end : s.runs;
  if (out.first > out.end) throw tool_error(fmt::format("explore: empty range [{}, {})", out.first, out.end));
  out.part = req.part;
  const cpu_deadline deadline(req.cpu_budget);
  if (s.strategy == strategy_kind::dfs && (req.part.count > 0 || req.jobs > 1)) {
    if (out.first != 0 || out.end != s.runs)
      throw tool_error("explore: dfs is split by subtrees (explore_request::part), not index ranges");
    if (req.part.count && req.part.index >= req.part.count) throw tool_error("explore: dfs part index out of range");
    explore_dfs_split(prepared, req, fixes, out, deadline);
  } else if (s.strategy == strategy_kind::dfs) {
    if (out.first != 0 || out.end != s.runs)
      throw input_error("", "--shard", "dfs explores one tree in order; it cannot be split into index ranges");
    sched::DfsStrategy strategy(s.preemptions);
    explore_in_order(prepared, req, fixes, strategy, deadline, out);
  } else if (s.strategy == strategy_kind::dpor) {
    // Backtrack points come from races seen in later executions anywhere in the tree: the search is
    // one sequence and cannot be cut into independent subtrees or index ranges.
    if (req.part.count > 0 || req.jobs > 1 || out.first != 0 || out.end != s.runs)
      throw input_error("", req.jobs > 1 ? "--jobs" : "--shard",
                        "dpor runs as one sequential search (each execution adds backtrack points to earlier states); "
                        "use one job and no shard, or dfs to split the search");
    sched::DporStrategy strategy(s.preemptions);
    explore_in_order(prepared, req, fixes, strategy, deadline, out);
    out.redundant = strategy.redundant();
  } else {
    if (s.strategy == strategy_kind::pct) {
      executor probe(prepared, s.max_steps, false);
      probe.set_fixes(fixes);
      out.pct_steps = pct_estimate(probe);
    }
    explore_seeded(prepared, req, fixes, out, deadline);
  }
  if (interrupt_requested()) out.interrupted = true;  // also when a worker stopped before the accounting saw it
  // A systematic search that ended clean without exhausting its space: about how large is the space?
  if (is_systematic(s.strategy) && !out.exhausted && !out.interrupted && out.violations.empty() && !out.tool_error &&
      out.executions > 0) {
    executor probe(prepared, s.max_steps, false);
    probe.set_fixes(fixes);
    // The probes may run a quarter of the run limit, at most 20,000 executions (and at least 8 probes of a
    // few executions each; fewer than 64 cannot settle). Not the executions done: every shard and job count
    // must get the same estimate.
    const sched::TreeEstimate est = estimate_dfs_executions(probe, s.preemptions, std::min<uint64_t>(s.runs / 4, 20000));
    out.estimated_executions = est.executions;
    out.estimate_error = est.relative_error;
    out.estimate_settled = est.settled();
  }
  if (req.progress) req.progress(out.executions, out.violations.size());
  return out;
}

sched::Execution replay_key(const prepared_scenario& prepared, const explore_settings& s, const fix_setting& fixes,
                            uint64_t key, const dfs_part& part) {
  const scenario& sc = prepared.the_scenario();
  executor exec(prepared, s.max_steps, true);
  exec.set_fixes(resolve_fixes(sc.fixes, fixes));
  sched::Execution ex;
  switch (s.strategy) {
    case strategy_kind::random: {
      sched::RandomStrategy strategy;
      exec.run(strategy, key, ex);
      return ex;
    }
    case strategy_kind::pct: {
      sched::PctStrategy strategy(s.depth, pct_estimate(exec));
      exec.run(strategy, key, ex);
      return ex;
    }
    case strategy_kind::dpor: {
      executor walker(prepared, s.max_steps, false);
      walker.set_fixes(resolve_fixes(sc.fixes, fixes));
      sched::DporStrategy strategy(s.preemptions);
      for (uint64_t i = 0; i < key; ++i) {
        walker.run(strategy, 0, ex);
        if (!strategy.next())
          throw input_error("", "--seed",
                            fmt::format("DPOR with preemption bound {} has only {} executions; there is no execution {}",
                                        s.preemptions, i + 1, key));
      }
      walker.run(strategy, 0, ex);
      return rerun(prepared, fixes, ex.decisions, s.max_steps);
    }
    case strategy_kind::dfs: {
      // The enumeration is deterministic: walk it (without traces) up to the execution asked for.
      executor walker(prepared, s.max_steps, false);
      walker.set_fixes(resolve_fixes(sc.fixes, fixes));
      sched::DfsStrategy strategy(s.preemptions);
      if (part.count > 0) {  // a part of a split search: walk its subtrees in order
        const auto all = dfs_subtrees(walker, s.preemptions, part.count * kSubtreesPerPart);
        uint64_t i = 0;
        for (uint64_t t = part.index; t < all.size(); t += part.count) {
          strategy.restrict(all[t]);
          do {
            walker.run(strategy, 0, ex);
            if (i++ == key) return rerun(prepared, fixes, ex.decisions, s.max_steps);
          } while (strategy.next());
        }
        throw input_error("", "--seed", fmt::format("DFS part {}/{} with preemption bound {} has only {} executions; there "
                                                    "is no execution {}", part.index, part.count, s.preemptions, i, key));
      }
      for (uint64_t i = 0; i < key; ++i) {
        walker.run(strategy, 0, ex);
        if (!strategy.next())
          throw input_error("", "--seed",
                            fmt::format("DFS with preemption bound {} has only {} executions; there is no execution {}",
                                        s.preemptions, i + 1, key));
      }
      walker.run(strategy, 0, ex);
      return rerun(prepared, fixes, ex.decisions, s.max_steps);
    }
  }
  return ex;
}

sched::Execution rerun(const prepared_scenario& prepared, const fix_setting& fixes,
                       const std::vector<sched::FiberId>& decisions, uint64_t max_steps) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  decision_follower follow(decisions);
  sched::Execution ex;
  exec.run(follow, 0, ex);
  return ex;
}

}  // namespace fsrace::sim

#include "sim/schedule_file.hpp"

namespace fsrace::sim {

sched::Execution replay_schedule(const prepared_scenario& prepared, const schedule& s, uint64_t max_steps) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, s.fixes));
  sched::ReplayStrategy replay(s.decisions, s.label_hashes, s.labels, "/steps");
  sched::Execution ex;
  exec.run(replay, 0, ex);
  return ex;
}

}  // namespace fsrace::sim
