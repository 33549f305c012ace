#include "scheduler/strategies/dpor_strategy.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/detail/runtime.hpp"
#include "scheduler/label.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::sched {
namespace {

bool contains(const std::vector<FiberId>& v, FiberId f) { return std::find(v.begin(), v.end(), f) != v.end(); }

// Clocks have a few entries (one per fiber), flat in arrays: joined and copied in place. restrict
// spares the loops their overlap checks (a clock joined with or copied to itself is unchanged either way).
void join(uint32_t* __restrict a, const uint32_t* __restrict b, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = std::max(a[i], b[i]);
}
void copy(uint32_t* __restrict a, const uint32_t* __restrict b, size_t n) {
  // The empty asm hides the loop's pattern from GCC, which would make it a call to memmove: for a
  // few words the call costs more than the copy.
  for (size_t i = 0; i < n; ++i) {
    asm("" : "+r"(i));
    a[i] = b[i];
  }
}

uint64_t mix(uint64_t x) {  // a 64-bit finaliser (MurmurHash3's fmix64)
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// A step's place in its execution's partial order: its fiber, its index among that fiber's steps and
// its vector clock (the steps of each fiber it follows). Equivalent executions have the same set of these.
// Two clock entries go into each 64-bit word mixed in (a mix per entry was 3% of a DPOR search's CPU:
// each mix waits for the last); `seed` (clock_seed) mixes in the entry count, so that clocks of
// different lengths never make the same words.
uint64_t clock_seed(size_t n) { return mix(n + 0x9e3779b97f4a7c15ULL); }
uint64_t step_hash(uint64_t seed, FiberId fiber, uint32_t local, const uint32_t* clock, size_t n) {
  uint64_t h = mix(seed ^ ((uint64_t{fiber} << 32) | local));
  size_t i = 0;
  for (; i + 1 < n; i += 2) h = mix(h ^ (((uint64_t{clock[i]} << 32) | clock[i + 1]) + 0x9e3779b97f4a7c15ULL));
  if (i < n) h = mix(h ^ (clock[i] + 0x9e3779b97f4a7c15ULL));
  return h;
}

}  // namespace

DporStrategy::DporStrategy(unsigned preemption_bound, Backtracking backtracking)
    : bound_(preemption_bound), backtracking_(backtracking) {}

bool DporStrategy::runnable_at(const Node& n, FiberId f) const {
  const auto* ids = runnable_.data() + n.first;
  return std::binary_search(ids, ids + n.count, f);
}

uint32_t DporStrategy::preempts_after(const Node& n, FiberId f) const {
  return n.preempts_before + (n.current != kNoFiber && f != n.current ? 1 : 0);
}

bool DporStrategy::allowed(const Node& n, FiberId f) const {
  return bound_ == kUnbounded || preempts_after(n, f) <= bound_;
}

bool DporStrategy::asleep(const Node& n, FiberId f) const {
  return std::any_of(n.sleep.begin(), n.sleep.end(), [f](const auto& e) { return e.first == f; });
}

// Whether fiber p, explored from node n before q, may sleep in q's subtree under the preemption bound.
// A pruned execution E = n.q.w.p.y (p's step commutes with q's and w's) stands for E' = n.p.q.w.y, which
// p's subtree covers only if E' is within the bound too. Preemptions of E' minus E's: at n, choosing p
// instead of q; p -> q (one if p is still runnable after its step); x -> y (the step before p's and the
// one after it) instead of x -> p -> y, never more. The switches inside w are the same (whether the
// fiber that ran before is still runnable does not depend on a commuting step of p's). So E' costs no
// more when p was the running fiber at n (E paid for leaving it; E' pays at most once, for p -> q), or
// when p stops being runnable after its step and choosing p at n costs no more than choosing q did.
bool DporStrategy::sleep_keeps_bound(const Node& n, FiberId p, bool p_runnable_after, FiberId q) const {
  if (bound_ == kUnbounded || n.current == p) return true;
  return !p_runnable_after && (n.current == kNoFiber || n.current != q);
}

size_t DporStrategy::choose(const Decision& d) {
  const uint64_t depth = d.step;
  Scheduler& s = *d.scheduler;
  auto index_of = [&](FiberId f) { return static_cast<size_t>(std::find(d.runnable, d.runnable + d.count, f) - d.runnable); };
  if (depth < depth_) {  // replaying the prefix next() chose
    Node& n = stack_[depth];
    const bool same = n.count == d.count && n.current == d.current &&
                      std::equal(d.runnable, d.runnable + d.count, runnable_.begin() + n.first);
    if (!same) {
      s.fail_current({FindingKind::ToolError,
                      fmt::format("dpor: re-execution differs at step {}: the program is not deterministic for a "
                                  "given schedule",
                                  depth),
                      -1, depth});
      return 0;
    }
  } else {
    // Nodes are reused with their vectors' capacity: no allocation per step once the stack has grown.
    if (depth_ == stack_.size()) stack_.emplace_back();
    Node& n = stack_[depth_];
    n.first = static_cast<uint32_t>(runnable_.size());
    n.count = static_cast<uint32_t>(d.count);
    n.current = d.current;
    n.preempts_before = 0;
    n.chosen = kNoFiber;
    n.backtrack.clear();
    n.done.clear();
    n.done_steps.clear();
    n.done_runnable_after.clear();
    n.sleep.clear();
    if (depth_ > 0) n.preempts_before = preempts_after(stack_[depth_ - 1], stack_[depth_ - 1].chosen);
    n.fibers = std::max<FiberId>(depth_ > 0 ? stack_[depth_ - 1].fibers : 0, d.count > 0 ? d.runnable[d.count - 1] + 1 : 0);
    runnable_.insert(runnable_.end(), d.runnable, d.runnable + d.count);
    if (depth_ > 0 && backtracking_ == Backtracking::races) {  // everywhere: no sleep sets
      Node& prev = stack_[depth_ - 1];
      // This decision's runnable set: after prev's step (the chosen fiber is always done's last).
      prev.done_runnable_after.back() = std::binary_search(d.runnable, d.runnable + d.count, prev.chosen);
      // Asleep here: the fibers asleep at or explored from the previous node, other than the one that
      // ran, whose step from there commutes with the step that ran (under a bound, only those whose
      // sleep keeps the bound: sleep_keeps_bound; inherited ones were checked where they fell asleep).
      // A fiber's step from a node is the one recorded when it was explored there (it has not run
      // since, and the steps between commute with it, so it does the same); a pending step never run
      // from there counts as undeclared.
      auto keep = [&](FiberId q, const Footprint& fq) {
        if (q != prev.chosen && runnable_at(n, q) && !dependent(fq, prev.step) && !asleep(n, q))
          n.sleep.emplace_back(q, fq);
      };
      for (const auto& [q, fq] : prev.sleep) keep(q, fq);
      for (size_t i = 0; i < prev.done.size(); ++i)
        if (sleep_keeps_bound(prev, prev.done[i], prev.done_runnable_after[i] != 0, prev.chosen))
          keep(prev.done[i], prev.done_steps[i]);
    }
    // Default: keep running the current fiber (no preemption), else the lowest awake fiber. Inside a
    // restricted prefix the choice is the prefix's (its states have no sleep set: they explore one choice).
    FiberId pick = kNoFiber;
    if (depth < prefix_.size()) {
      pick = prefix_[depth];
      if (!runnable_at(n, pick) || !allowed(n, pick)) {
        s.fail_current({FindingKind::ToolError,
                        fmt::format("dpor: the subtree's prefix takes fiber {} at step {}, which is not runnable there "
                                    "within the preemption bound",
                                    pick, depth),
                        -1, depth});
        pick = d.runnable[0];
      }
    }
    if (pick == kNoFiber && d.current != kNoFiber && !asleep(n, d.current)) pick = d.current;
    for (size_t i = 0; i < d.count && pick == kNoFiber; ++i)
      if (!asleep(n, d.runnable[i]) && allowed(n, d.runnable[i])) pick = d.runnable[i];
    ++depth_;
    if (pick == kNoFiber) {
      // Every fiber asleep: each continuation is equivalent to one explored already. The execution runs
      // on (the scheduler has no way to cut it short without its end-of-run checks) with the default
      // choice, but from here on it adds no backtrack point and races are not analysed.
      if (redundant_from_ == kNotRedundant) redundant_from_ = depth;
      pick = d.current != kNoFiber ? d.current : d.runnable[0];
    }
    Node& fresh = n;
    fresh.chosen = pick;
    fresh.backtrack.push_back(pick);
    if (backtracking_ == Backtracking::everywhere)
      for (size_t i = 0; i < d.count; ++i)
        if (d.runnable[i] != pick && allowed(n, d.runnable[i])) fresh.backtrack.push_back(d.runnable[i]);
    fresh.done.push_back(pick);
    fresh.done_steps.emplace_back();  // next() copies step there once another fiber is explored here
    fresh.done_runnable_after.push_back(1);  // the next decision records it
  }
  Node& n = stack_[depth];
  // A replayed step before the divergence keeps the footprint its last run recorded (the program is
  // deterministic for a given schedule): step_done() skips it.
  if (depth >= diverged_) n.step = Footprint{};  // until step_done() reports what it touched
  running_ = depth;
  if (tally_ && depth >= diverged_) {  // a replayed step's label is the one its last execution formatted
    if (labels_.size() <= depth) labels_.resize(depth + 1);
    labels_[depth] = format_label(s.pending_label(n.chosen));
  }
  return index_of(n.chosen);
}

void DporStrategy::step_done(const Footprint& touched) {
  if (running_ >= depth_ || running_ < diverged_) return;  // a replayed step recorded this last time
  stack_[running_].step = touched;
}

void DporStrategy::begin(uint64_t) {
  redundant_from_ = kNotRedundant;
  last_trace_ = 0;
  stopped_.clear();
  stopped_labels_.clear();
}

void DporStrategy::stopped(const Decision& d) {
  for (size_t i = 0; i < d.count; ++i) {
    Footprint fp = detail::pending_footprint(d.runnable[i]);
    stopped_.emplace_back(d.runnable[i], fp);
    if (tally_) stopped_labels_.push_back(format_label(d.scheduler->pending_label(d.runnable[i])));
  }
}

void DporStrategy::end(const Execution& ex) {
  ++executions_;
  clocks_valid_ = std::min(clocks_valid_, diverged_);  // the steps from diverged_ on are new
  if (ex.finding.kind == FindingKind::ToolError) return;  // nothing trustworthy to analyse
  if (redundant_from_ != kNotRedundant) {
    ++redundant_;
    for (size_t i = redundant_from_; i < depth_; ++i) stack_[i].backtrack.assign(1, stack_[i].chosen);
  }
  analyse_races();
}

void DporStrategy::add_backtrack(size_t at, FiberId q) {
  if (at < prefix_.size()) return;  // a restricted prefix: its other choices are other subtrees
  Node& n = stack_[at];
  if (!runnable_at(n, q)) {  // cannot start the reversed order here: try every fiber (classic DPOR)
    for (uint32_t i = 0; i < n.count; ++i)
      if (!contains(n.backtrack, runnable_[n.first + i])) n.backtrack.push_back(runnable_[n.first + i]);
    return;
  }
  if (!contains(n.backtrack, q)) n.backtrack.push_back(q);
}

// Happens-before by vector clocks over the steps of the execution just run (stack_[0, steps)): program
// order, dependent steps in execution order, and the step that made a fiber runnable before that
// fiber's next step. A step's dependent predecessors are the last "everything" step and, in each other
// fiber, the latest step it conflicts with among those it does not already follow (earlier ones of that
// fiber precede that one in program order): found by walking the fiber's steps backwards, a block of
// kHistoryBlock steps at a time where the union of their footprints conflicts with nothing. A step that
// declared it touches nothing has none and is none's (an undeclared step depends on each fiber's latest
// step that touches something).
// An execution a finding (or the step limit) ended leaves fibers that never ran again: their pending
// steps (stopped_) are analysed as if each came next, as Flanagan and Godefroid analyse the next step of
// every enabled thread; without them a fiber that the default schedule never runs before the finding
// would never be tried earlier, and DPOR would miss outcomes DFS reaches.
void DporStrategy::analyse_races() {
  const size_t steps = std::min(depth_, redundant_from_);  // a redundant tail adds nothing
  if (steps == 0) return;
  const bool tail = steps == depth_;  // the stopped fibers' pending steps follow the last step
  FiberId fibers = stack_[depth_ - 1].fibers;  // every runnable id of the execution (ids ascend in a node)
  for (const auto& [f, fp] : stopped_) fibers = std::max(fibers, f + 1);
  const size_t F = fibers;  // each clock's entries
  if (clock_.size() < (steps + 1) * F) clock_.resize((steps + 1) * F);
  uint32_t* const clocks = clock_.data();  // no resize below
  auto clock_of = [clocks, F](size_t j) { return clocks + j * F; };
  const uint64_t seed = clock_seed(F);
  if (step_hash_.size() < steps) step_hash_.resize(steps);
  local_.resize(steps + 1);  // a replayed prefix keeps its indices (below); the rest is recomputed
  // Per-fiber state, in vectors kept for their capacity (an execution of a few steps allocates nothing).
  analysis_scratch& sc = scratch_;
  std::vector<uint32_t>& count = sc.count;  // steps so far per fiber
  count.assign(fibers, 0);
  sc.fiber_clock.assign(F * F, 0);
  sc.enable_clock.assign(F * F, 0);
  uint32_t* const fiber_clock = sc.fiber_clock.data();    // fiber f's at f * F
  uint32_t* const enable_clock = sc.enable_clock.data();  // the same
  std::vector<uint32_t>& global = sc.global;
  global.assign(fibers, 0);
  std::vector<int64_t>& latest = sc.latest;  // each fiber's latest step that touches something
  latest.assign(fibers, -1);
  // Each fiber's steps (stack indices, by index in the fiber) and the union of each block of them: the
  // shared prefix's entries stay (below, after a checkpoint's counts are restored).
  auto& history = sc.history;
  auto& blocks = sc.blocks;
  history.resize(fibers);
  blocks.resize(fibers);
  int64_t last_all = -1;
  std::vector<uint32_t>& deps = sc.deps;
  std::vector<uint32_t>& races = sc.races;
  sc.before.resize(F);
  uint32_t* const before = sc.before.data();
  std::vector<FiberId>& initials = sc.initials;
  std::vector<int64_t>& first_in_v = sc.first_in_v;
  first_in_v.assign(fibers, -1);

  auto happens_before = [&](uint32_t i, const uint32_t* c) { return c[stack_[i].chosen] > local_[i]; };

  // Step j (fiber p, footprint fp; j == steps: a stopped fiber's pending step): its clock into c, and a
  // backtrack point for each race it ends.
  auto analyse = [&](uint32_t j, FiberId p, const Footprint& fp, uint32_t* c) {
    copy(c, fiber_clock + p * F, F);
    join(c, enable_clock + p * F, F);
    copy(before, c, F);  // what p's step follows regardless of its dependences
    deps.clear();
    if (fp.empty()) {
      // Touches nothing: depends on no step (only program order and enabling order it).
    } else if (fp.everything()) {
      for (FiberId q = 0; q < fibers; ++q)
        if (q != p && latest[q] >= 0) deps.push_back(static_cast<uint32_t>(latest[q]));
      join(c, global.data(), F);
    } else {
      // The last undeclared step, then in each other fiber the latest step this one conflicts with, past
      // those it follows already (before) and those the undeclared step follows (it is a dependence).
      if (last_all >= 0 && !happens_before(static_cast<uint32_t>(last_all), before))
        deps.push_back(static_cast<uint32_t>(last_all));
      for (FiberId q = 0; q < fibers; ++q) {
        if (q == p) continue;
        uint32_t lo = before[q];
        if (last_all >= 0) lo = std::max(lo, clock_of(static_cast<size_t>(last_all))[q]);
        const std::vector<uint32_t>& mine = history[q];
        const std::vector<Footprint>& unions = blocks[q];
        for (int64_t l = static_cast<int64_t>(mine.size()) - 1; l >= static_cast<int64_t>(lo);) {  // bounded: l falls
          const int64_t start = l - l % kHistoryBlock;
          if (!dependent(unions[static_cast<size_t>(l / kHistoryBlock)], fp)) {  // none of the block's steps
            l = start - 1;
            continue;
          }
          const int64_t stop = std::max<int64_t>(start, lo);
          for (; l >= stop && !dependent(stack_[mine[static_cast<size_t>(l)]].step, fp); --l) {
          }
          if (l >= stop) {
            deps.push_back(mine[static_cast<size_t>(l)]);
            break;
          }
        }
      }
      for (uint32_t i : deps) join(c, clock_of(i), F);
    }
    // Races: dependent steps of other fibers that p's step does not already follow, maximal ones only.
    // A step of the prefix this execution replayed ended the same races in the execution it was
    // replayed from, whose backtrack points are still set: only the steps from the divergence on count.
    races.clear();
    if (j >= diverged_)
      for (uint32_t i : deps)
        if (stack_[i].chosen != p && !happens_before(i, before) && !contains(races, i)) races.push_back(i);
    for (size_t a = 0; a < races.size();) {
      bool covered = false;
      for (size_t b = 0; b < races.size() && !covered; ++b)
        covered = b != a && happens_before(races[a], clock_of(races[b]));
      if (covered) races.erase(races.begin() + static_cast<std::ptrdiff_t>(a));
      else ++a;
    }
    local_[j] = count[p];
    c[p] = local_[j] + 1;
    for (uint32_t i : races) {
      // v = the steps after i that do not follow it, then p's step; its initials can start the reversal.
      std::fill(first_in_v.begin(), first_in_v.end(), -1);
      initials.clear();
      auto consider = [&](uint32_t k, FiberId q, const uint32_t* ck) {
        if (first_in_v[q] >= 0) return;
        bool first = true;
        for (FiberId r = 0; r < fibers && first; ++r)
          if (r != q && first_in_v[r] >= 0 && happens_before(static_cast<uint32_t>(first_in_v[r]), ck)) first = false;
        first_in_v[q] = k;
        if (first) initials.push_back(q);
      };
      // Every step after an undeclared step follows it: then v is p's step alone.
      if (!stack_[i].step.everything())
        for (uint32_t k = i + 1; k < j; ++k)
          if (!happens_before(i, clock_of(k))) consider(k, stack_[k].chosen, clock_of(k));
      consider(j, p, c);
      if (initials.empty()) continue;  // cannot happen: the first step of v is an initial
      const Node& ni = stack_[i];
      bool covered = false;
      for (FiberId q : initials)
        if (contains(ni.backtrack, q) && (bound_ == kUnbounded || allowed(ni, q))) covered = true;
      if (!covered) {
        FiberId q = contains(initials, p) ? p : *std::min_element(initials.begin(), initials.end());
        if (bound_ != kUnbounded && !allowed(ni, q))
          for (FiberId r : initials)
            if (allowed(ni, r)) {
              q = r;
              break;
            }
        add_backtrack(i, q);
        if (tally_ && i >= prefix_.size()) count_race(i, j, p, false);
      }
      if (bound_ != kUnbounded) {  // Coons et al.: also where the block of steps holding i began
        size_t b = i;
        while (b > 0 && stack_[b - 1].chosen == ni.chosen) --b;
        if (b != i) {
          const size_t had = stack_[b].backtrack.size();
          add_backtrack(b, contains(initials, p) ? p : initials.front());
          if (tally_ && stack_[b].backtrack.size() != had) count_race(i, j, p, true);
        }
      }
    }
  };

  // The replayed prefix's steps are the same steps with the same footprints as in the execution they
  // were analysed in (the program is deterministic for a given schedule), so their clocks are too; they
  // end no race to analyse (above), so only the per-fiber and per-object state is rebuilt through them,
  // from the last checkpoint of that state inside the prefix (every checkpoint_every_ steps).
  const size_t reuse = fibers == clock_fibers_ ? std::min(clocks_valid_, steps) : 0;
  uint32_t first = 0;
  // Checkpoint c is valid when its step lies inside the shared prefix (c * checkpoint_every_ < reuse):
  // the analysis that wrote it last saw those steps, and every later one shared them.
  for (size_t c = reuse == 0 || checkpoint_every_ == 0 ? 0 : (reuse - 1) / checkpoint_every_; c > 0 && first == 0; --c)
    if (c < checkpoints_.size()) {
      const checkpoint& k = checkpoints_[c];
      first = static_cast<uint32_t>(c * checkpoint_every_);
      count = k.count;
      global = k.global;
      latest = k.latest;
      last_all = k.last_all;
      if (k.fiber_clock.size() != F * F) throw std::logic_error("dpor: a checkpoint of another fiber count");
      copy(fiber_clock, k.fiber_clock.data(), F * F);
      copy(enable_clock, k.enable_clock.data(), F * F);
    }
  // The fibers' histories keep the steps before `first` (shared with the last analysis, which walked
  // them); the last block's union is rebuilt when the cut falls inside it.
  auto add_to_history = [&](FiberId f, uint32_t j) {
    if (history[f].size() % kHistoryBlock == 0) blocks[f].push_back(declared());
    history[f].push_back(j);
    blocks[f].back() |= stack_[j].step;
  };
  for (FiberId f = 0; f < fibers; ++f) {
    std::vector<uint32_t>& mine = history[f];
    if (mine.size() < count[f]) throw std::logic_error("dpor: a fiber's history is shorter than its replayed prefix");
    mine.resize(count[f]);
    blocks[f].resize((count[f] + kHistoryBlock - 1) / kHistoryBlock);
    if (count[f] % kHistoryBlock != 0) {
      Footprint& u = blocks[f].back() = declared();
      for (size_t l = count[f] - count[f] % kHistoryBlock; l < count[f]; ++l) u |= stack_[mine[l]].step;
    }
  }
  for (uint32_t j = first; j < steps; ++j) {
    if (checkpoint_every_ != 0 && j % checkpoint_every_ == 0 && j >= reuse && j > 0) {  // for later executions
      const size_t c = j / checkpoint_every_;
      if (checkpoints_.size() <= c) checkpoints_.resize(c + 1);
      checkpoint& k = checkpoints_[c];
      k.count = count;
      k.global = global;
      k.latest = latest;
      k.last_all = last_all;
      k.fiber_clock.assign(fiber_clock, fiber_clock + F * F);
      k.enable_clock.assign(enable_clock, enable_clock + F * F);
    }
    const Node& nj = stack_[j];
    const FiberId p = nj.chosen;
    uint32_t* const c = clock_of(j);
    if (j < reuse) {
      local_[j] = count[p];
    } else {
      analyse(j, p, nj.step, c);
      step_hash_[j] = step_hash(seed, p, local_[j], c, F);
    }
    ++count[p];
    copy(fiber_clock + p * F, c, F);
    if (!nj.step.empty()) {  // steps that touch nothing are no later step's dependence
      latest[p] = j;
      join(global.data(), c, F);
    }
    // Fibers this step made runnable (woken, spawned) follow it.
    auto enabled = [&](FiberId q) {
      if (q < fibers && !runnable_at(nj, q)) join(enable_clock + q * F, c, F);
    };
    if (j + 1 < depth_) {
      const Node& next = stack_[j + 1];
      for (uint32_t k = 0; k < next.count; ++k) enabled(runnable_[next.first + k]);
    } else {
      for (const auto& [q, fp] : stopped_) enabled(q);
    }
    if (nj.step.everything()) last_all = j;
    add_to_history(p, j);
  }
  clocks_valid_ = steps;
  clock_fibers_ = fibers;
  if (steps == depth_) {  // a complete (not redundant) execution: its trace is the set of its steps' places
    uint64_t trace = 0;
    for (size_t j = 0; j < steps; ++j) trace += step_hash_[j];  // order-free: a set's hash
    traces_.insert(trace);
    last_trace_ = trace == 0 ? 1 : trace;  // 0 means none
  }
  if (tail)
    for (const auto& [q, fp] : stopped_) analyse(static_cast<uint32_t>(steps), q, fp, clock_of(steps));
}

void DporStrategy::count_race(size_t first, size_t later, FiberId later_fiber, bool conservative) {
  std::string second;
  bool second_undeclared = false;
  if (later < std::min(depth_, redundant_from_)) {
    second = labels_[later];
    second_undeclared = stack_[later].step.everything();
  } else {  // a stopped fiber's pending step
    for (size_t k = 0; k < stopped_.size() && second.empty(); ++k)
      if (stopped_[k].first == later_fiber) {
        second = stopped_labels_[k];
        second_undeclared = stopped_[k].second.everything();
      }
  }
  std::pair<std::string, std::string> key{labels_[first], second};
  if (pairs_.size() >= kMaxRacePairs && pairs_.find(key) == pairs_.end()) key = {"(other pairs)", ""};
  RacePair& r = pairs_[key];
  if (r.backtracks + r.conservative == 0) {
    r.first = key.first;
    r.second = key.second;
    r.first_undeclared = key.first != "(other pairs)" && stack_[first].step.everything();
    r.second_undeclared = second_undeclared;
  }
  ++(conservative ? r.conservative : r.backtracks);
}

std::vector<DporStrategy::RacePair> DporStrategy::race_pairs(size_t top) const {
  std::vector<RacePair> out;
  out.reserve(pairs_.size());
  for (const auto& [key, r] : pairs_) out.push_back(r);  // in label order
  std::stable_sort(out.begin(), out.end(), [](const RacePair& a, const RacePair& b) {
    return a.backtracks + a.conservative > b.backtracks + b.conservative;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

bool DporStrategy::next() {
  while (depth_ > prefix_.size()) {  // bounded by the stack depth
    Node& n = stack_[depth_ - 1];
    FiberId best = kNoFiber;
    for (FiberId q : n.backtrack)
      if (!contains(n.done, q) && !asleep(n, q) && allowed(n, q) && q < best) best = q;
    if (best != kNoFiber) {
      n.done_steps.back() = n.step;  // the step of the fiber chosen so far (done's last), for sleep sets
      n.chosen = best;
      n.done.push_back(best);
      n.done_steps.emplace_back();
      n.done_runnable_after.push_back(1);
      diverged_ = depth_ - 1;  // the next execution replays the steps before this node
      return true;
    }
    runnable_.resize(n.first);
    --depth_;  // the node keeps its vectors' capacity for the next one pushed here
  }
  exhausted_ = true;
  depth_ = 0;
  runnable_.clear();
  diverged_ = 0;  // nothing is replayed any more: no clock is kept for a run after the search
  clocks_valid_ = 0;
  return false;
}

void DporStrategy::restrict(std::vector<FiberId> prefix) {
  prefix_ = std::move(prefix);
  depth_ = 0;
  runnable_.clear();
  diverged_ = 0;
  clocks_valid_ = 0;  // the analysis' replayed-prefix state belongs to the last search
  checkpoints_.clear();
  exhausted_ = false;
}

std::vector<std::vector<FiberId>> DporStrategy::split() {
  std::vector<std::vector<FiberId>> out;
  if (exhausted_) return out;
  for (size_t x = prefix_.size(); x < depth_; ++x) {  // bounded by the stack depth
    const Node& n = stack_[x];
    std::vector<FiberId> left;
    for (uint32_t i = 0; i < n.count; ++i) {
      const FiberId f = runnable_[n.first + i];
      if (!contains(n.done, f) && !asleep(n, f) && allowed(n, f)) left.push_back(f);
    }
    if (left.empty()) continue;
    std::vector<FiberId> path;
    path.reserve(x + 1);
    for (size_t k = 0; k < x; ++k) path.push_back(stack_[k].chosen);
    for (FiberId f : left) {  // ascending: runnable ids are
      out.push_back(path);
      out.back().push_back(f);
    }
    path.push_back(n.chosen);
    prefix_ = std::move(path);  // next() never comes back to x: its other choices are the subtrees
    return out;
  }
  return out;
}

}  // namespace fsrace::sched
