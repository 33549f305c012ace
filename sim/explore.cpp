#include "sim/explore.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
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
#include "sim/label_coverage.hpp"
#include "scheduler/strategies/trace_set.hpp"
#include "sim/search/search.hpp"

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

// What one plan's executions came to, for the accounting.
struct plan_result {
  uint64_t executions = 0;
  bool complete = false;  // the plan ran to its end (not stopped by a finding, the run limit or the budget)
  // Executions that did not end clean, numbered from 0 within the plan (decisions kept only on the first
  // of each kind and message: the accounting never needs the others').
  std::vector<violation_record> records;
  // (execution, peak model bytes of the plan's executions up to it) where that running peak grows: the
  // peak of any prefix the accounting keeps, in a few entries.
  std::vector<std::pair<uint64_t, uint64_t>> peak_steps;
  unsigned worker = 0;
  sched::LabelCoverage::Delta labels;  // what the worker's label coverage gained in this plan
  std::vector<execution_facts> facts;  // a reducing search's, one per execution
  std::vector<std::vector<uint64_t>> spawned;  // the tasks of the plans it cut off, group by group
};

plan_result run_plan(plan_runner& runner, executor& exec, sched::LabelCoverage& labels, unsigned worker, const plan& p,
                     uint64_t max_executions, const explore_request& req, std::atomic<bool>& cancel,
                     const cpu_deadline& deadline, const std::function<std::vector<uint64_t>(std::vector<plan>)>& add) {
  plan_result out;
  out.worker = worker;
  if (cancel.load(std::memory_order_relaxed)) return out;
  if (deadline.passed() || interrupt_requested()) {  // Ctrl-C: the accounting stops at the same point
    cancel = true;
    return out;
  }
  const bool reduced = search_of(req.settings.strategy).reduced;
  // A worker takes cut-off plans in another order than the accounting's: each gets its coverage afresh
  // (label_coverage_merge starts the worker's node ids again), so that what the accounting merges is
  // what its plans saw, whoever ran what before.
  if (search_of(req.settings.strategy).divides == division::spawned) labels = sched::LabelCoverage{};
  exploration local;  // the plan on its own: where it stops, the whole exploration has stopped too
  out.complete = runner.run(
      p, exec, max_executions,
      [&](const sched::Execution& ex) {
        const uint64_t i = out.executions++;
        if (reduced) out.facts.push_back(runner.last_facts());
        if (out.peak_steps.empty() || exec.peak_state_bytes() > out.peak_steps.back().second)
          out.peak_steps.emplace_back(i, exec.peak_state_bytes());
        if (ex.finding.kind != sched::FindingKind::None) {
          violation_record rec = record_of(i, i, ex, exec);
          const bool seen = std::any_of(out.records.begin(), out.records.end(), [&](const violation_record& r) {
            return r.finding.kind == rec.finding.kind && r.finding.message == rec.finding.message;
          });
          if (seen) rec.decisions.clear();
          out.records.push_back(rec);
          if (!account(local, req, std::move(rec))) return false;
        }
        if (cancel.load(std::memory_order_relaxed)) return false;
        if (deadline.passed() || interrupt_requested()) {
          cancel = true;
          return false;
        }
        return true;
      },
      [&](std::vector<plan> group) { out.spawned.push_back(add(std::move(group))); });
  out.labels = labels.take();
  return out;
}

// The one explorer: plans run by `jobs` workers (the first on `probe`), their executions accounted in
// plan order, so indexes, keys and violations are those of one worker whatever the job count. Tasks are
// the search's plans [0, count), then the plans runs cut off (division::spawned), numbered as they come;
// a task's cut-off plans are accounted right after it (push_spawned's order). Workers take cut-off plans
// first (they come before every plan not yet taken) and run at most `window` of the search's plans ahead
// of the accounting (bounded memory for millions of seeds).
constexpr uint64_t kNotOurs = UINT64_MAX;  // a cut-off plan another part of the search runs

void run_plans(const search& srch, executor& probe, const prepared_scenario& prepared, const model::fix_set& fixes,
               const explore_request& req, exploration& out, const cpu_deadline& deadline) {
  const auto& s = req.settings;
  const uint64_t count = srch.plan_count();
  const unsigned jobs = std::max(1u, req.jobs);
  const uint64_t window = jobs == 1 ? 1 : uint64_t{jobs} * 256;
  std::vector<std::unique_ptr<plan_runner>> runners;
  for (unsigned w = 0; w < jobs; ++w) runners.push_back(srch.runner());
  std::vector<sched::LabelCoverage> labels(jobs);
  label_coverage_merge merged_labels;
  sched::TraceSet traces;  // a reducing search's distinct traces over the executions accounted

  struct spawned_task {
    plan p;
    std::optional<plan_result> result;
  };
  std::vector<std::optional<plan_result>> ring(window);
  std::deque<spawned_task> spawned;  // task count + k; under `lock`
  std::deque<uint64_t> spawn_queue;  // spawned tasks no worker took yet; under `lock`
  std::mutex lock;
  std::condition_variable changed;
  uint64_t next_task = 0, accounted = 0;  // under `lock`: the search's plans taken, accounted
  unsigned running = 0;                   // under `lock`: tasks a worker runs (they may spawn more)
  bool done = false;                      // under `lock`: the accounting stopped; workers leave
  std::atomic<bool> cancel{false};
  // The spawn callback of task t: files the plans it cuts off as new tasks, except those of the search's
  // own plans that another part of the search owns (search::owns_cut), which get kNotOurs.
  auto spawner = [&](uint64_t t) -> std::function<std::vector<uint64_t>(std::vector<plan>)> {
    return [&, t, seq = uint64_t{0}](std::vector<plan> group) mutable {
      std::vector<uint64_t> ids;
      std::lock_guard<std::mutex> guard(lock);
      for (plan& p : group) {
        if (t < count && !srch.owns_cut(seq++)) {
          ids.push_back(kNotOurs);
          continue;
        }
        ids.push_back(count + spawned.size());
        spawned.push_back({std::move(p), std::nullopt});
        spawn_queue.push_back(ids.back());
      }
      changed.notify_all();
      return ids;
    };
  };
  auto work = [&](unsigned w, executor& exec) {
    for (;;) {
      uint64_t t;
      plan p;
      {
        std::unique_lock<std::mutex> guard(lock);
        changed.wait(guard, [&] {
          return done || !spawn_queue.empty() || (next_task < count && next_task < accounted + window) ||
                 (next_task >= count && running == 0);
        });
        if (done) return;
        if (!spawn_queue.empty()) {
          t = spawn_queue.front();
          spawn_queue.pop_front();
          p = spawned[t - count].p;
        } else if (next_task < count && next_task < accounted + window) {
          t = next_task++;
        } else {
          return;  // every plan taken, and no running one can cut off more
        }
        ++running;
      }
      if (t < count) p = srch.plan_at(t);
      // Every task gets a result (an empty one once cancelled): the accounting waits for them in order.
      plan_result r = run_plan(*runners[w], exec, labels[w], w, p, s.runs, req, cancel, deadline, spawner(t));
      std::lock_guard<std::mutex> guard(lock);
      --running;
      if (t < count) ring[t % window] = std::move(r);
      else spawned[t - count].result = std::move(r);
      changed.notify_all();
    }
  };
  std::vector<std::unique_ptr<executor>> executors;
  std::vector<std::thread> threads;
  if (jobs > 1)
    for (unsigned w = 0; w < jobs; ++w) {
      executors.push_back(std::make_unique<executor>(prepared, s.max_steps, false));
      executors.back()->set_fixes(fixes);
      if (req.label_coverage) executors.back()->set_label_coverage(&labels[w]);
      threads.emplace_back(work, w, std::ref(*executors.back()));
    }

  // The result of task t, in accounting order: run here with one job, else waited for.
  auto result_of = [&](uint64_t t, const plan& mine) {  // mine: plan_at(t) of the search's own plans
    plan_result r;
    if (jobs == 1) {
      if (req.label_coverage) probe.set_label_coverage(&labels[0]);
      r = run_plan(*runners[0], probe, labels[0], 0, t < count ? mine : spawned[t - count].p, s.runs, req, cancel,
                   deadline, spawner(t));
      probe.set_label_coverage(nullptr);
      return r;
    }
    std::unique_lock<std::mutex> guard(lock);
    if (t < count) {
      changed.wait(guard, [&] { return ring[t % window].has_value(); });
      r = std::move(*ring[t % window]);
      ring[t % window].reset();
      ++accounted;
      changed.notify_all();
    } else {
      changed.wait(guard, [&] { return spawned[t - count].result.has_value(); });
      r = std::move(*spawned[t - count].result);
      spawned[t - count].result.reset();
    }
    return r;
  };

  // Parts of a split DPOR list their plans for merging (exploration::plan_records), with the trace hashes
  // of each: at most TraceSet::kLimit in all (then plan_traces_capped).
  const bool recording = search_of(s.strategy).divides == division::spawned && req.part.count > 0;
  uint64_t recorded_hashes = 0;
  struct task_entry {
    uint64_t task;
    std::vector<uint64_t> path;  // in the tree of plans (exploration::plan_record)
  };
  bool stopped = false;
  for (uint64_t first = 0; first < count && !stopped; ++first) {
    std::vector<task_entry> todo{{first, {}}};  // this plan, then the plans it cut off, depth first
    while (!todo.empty() && !stopped) {  // bounded: a finite search cuts off finitely many plans
      const task_entry entry = std::move(todo.back());
      todo.pop_back();
      const uint64_t t = entry.task;
      if (t == kNotOurs) continue;  // another part's plan
      const plan p = t < count ? srch.plan_at(t) : plan{};
      plan_result r = result_of(t, p);
      uint64_t i = 0, redundant = 0;
      std::vector<uint64_t> hashes;
      if (p.accounted) {
        merged_labels.absorb(r.worker, r.labels);
        size_t next_record = 0, next_peak = 0;
        for (; i < r.executions; ++i) {
          if (out.executions >= s.runs) {
            stopped = true;
            break;
          }
          if (next_peak < r.peak_steps.size() && r.peak_steps[next_peak].first == i)
            out.peak_model_bytes = std::max(out.peak_model_bytes, r.peak_steps[next_peak++].second);
          if (i < r.facts.size()) {
            if (r.facts[i].redundant) ++out.redundant, ++redundant;
            if (r.facts[i].trace != 0) {
              traces.insert(r.facts[i].trace);
              if (recording) hashes.push_back(r.facts[i].trace);
            }
          }
          violation_record rec;
          if (next_record < r.records.size() && r.records[next_record].index == i)
            rec = std::move(r.records[next_record++]);
          const execution_name name = srch.name(p, out.executions);
          rec.index = name.index;
          rec.key = name.key;
          const bool go_on = account(out, req, std::move(rec));
          if (req.progress && req.progress_every && out.executions % req.progress_every == 0)
            req.progress(out.executions, out.violations.size());
          if (!go_on) {
            stopped = true;
            ++i;
            break;
          }
        }
        ++out.plans;
        if (t < count && srch.subtree_count() > 0) out.subtrees.emplace_back(p.id, i);
      }
      const bool whole = (!p.accounted || i == r.executions) && r.complete;  // it ran, and was accounted, to its end
      if (!whole) stopped = true;
      if (recording && p.accounted) {
        exploration::plan_record rec;
        rec.path = entry.path;
        rec.executions = i;
        rec.redundant = redundant;
        if (whole)
          for (const auto& g : r.spawned) rec.spawned += g.size();
        std::sort(hashes.begin(), hashes.end());
        hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
        if (recorded_hashes + hashes.size() > sched::TraceSet::kLimit) {
          out.plan_traces_capped = true;
          hashes.clear();
        }
        recorded_hashes += hashes.size();
        rec.traces = std::move(hashes);
        out.plan_records.push_back(std::move(rec));
      }
      if (!whole) continue;
      // The plans it cut off, accounted next (push_spawned's order): the k-th taken is the path's child k.
      std::vector<std::vector<task_entry>> groups;
      size_t total = 0;
      for (const auto& g : r.spawned) {
        groups.emplace_back();
        for (uint64_t id : g) groups.back().push_back({id, {}});
        total += g.size();
      }
      push_spawned(todo, std::move(groups));
      for (size_t k = 0; k < total; ++k) {
        std::vector<uint64_t>& path = todo[todo.size() - 1 - k].path;
        path = entry.path;
        path.push_back(k);
      }
    }
  }
  const bool finished = !stopped;
  {
    std::lock_guard<std::mutex> guard(lock);
    done = true;
    cancel = true;
    changed.notify_all();
  }
  for (auto& th : threads) th.join();
  out.subtree_count = srch.subtree_count();
  if (req.label_coverage) out.labels = merged_labels.result();
  out.exhausted = finished && search_of(s.strategy).systematic;
  out.time_up = !finished && deadline.hit();
  out.traces = traces.size();
  out.traces_capped = traces.capped();
  for (const auto& runner : runners) runner->annotate(out);
  srch.annotate(out);
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

sched::TreeEstimate estimate_dfs_executions(executor& exec, unsigned bound, uint64_t run_budget, std::function<bool()> stop) {
  sched::EstimateLimits limits;
  limits.run_budget = run_budget;
  limits.stop = std::move(stop);
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
  f.reduced = search_of(e.settings.strategy).reduced;
  f.time_up = e.time_up;
  f.estimate = e.estimated_executions;
  f.estimate_error = e.estimate_error;
  f.estimate_settled = e.estimate_settled;
  return coverage_phrase(f);
}

std::string describe_reduction(const exploration& e) {
  return fmt::format(" ({}{} distinct trace{}, {} sleep-set blocked{})", e.traces_capped ? "at least " : "", e.traces,
                     e.traces == 1 ? "" : "s", e.redundant, e.plans > 1 ? fmt::format(", {} subtrees", e.plans) : "");
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
  // A CPU budget bounds the whole call: the search gets 90% of it, the estimate of the space that may
  // follow a search it stopped gets the rest (its probes stop at the budget; an estimate cut short is
  // reported as an unknown total). Without the split the estimate ran up to 20,000 executions past the
  // budget (minutes on send-vs-relocation).
  const cpu_deadline deadline(req.cpu_budget * 0.9);
  const cpu_deadline whole(req.cpu_budget);
  executor probe(prepared, s.max_steps, false);
  probe.set_fixes(fixes);
  const std::unique_ptr<search> srch = make_search(probe, req);
  run_plans(*srch, probe, prepared, fixes, req, out, deadline);
  if (interrupt_requested()) out.interrupted = true;  // also when a worker stopped before the accounting saw it
  // A systematic search that ended clean without exhausting its space: about how large is the space?
  if (is_systematic(s.strategy) && !out.exhausted && !out.interrupted && out.violations.empty() && !out.tool_error &&
      out.executions > 0) {
    // The probes may run a quarter of the run limit, at most 20,000 executions (and at least 8 probes of a
    // few executions each; fewer than 64 cannot settle). Not the executions done: every shard and job count
    // must get the same estimate.
    const sched::TreeEstimate est = estimate_dfs_executions(probe, s.preemptions, std::min<uint64_t>(s.runs / 4, 20000),
                                                            [&whole] { return whole.passed(); });
    out.estimated_executions = est.executions;
    out.estimate_error = est.relative_error;
    out.estimate_settled = est.settled();
  }
  if (req.progress) req.progress(out.executions, out.violations.size());
  return out;
}

sched::Execution replay_key(const prepared_scenario& prepared, const explore_settings& s, const fix_setting& fixes,
                            uint64_t key, const dfs_part& part) {
  executor walker(prepared, s.max_steps, false);
  walker.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  explore_request req;
  req.settings = s;
  req.part = part;
  const std::unique_ptr<search> srch = make_search(walker, req);
  return rerun(prepared, fixes, srch->decisions_of(walker, key), s.max_steps);
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
