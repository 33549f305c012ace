#pragma once
// Plain results the reports are made from. reports knows nothing of scenarios or the model: sim fills
// these in from its own types.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fsrace::reports {

/// The steps of one violating execution, for reports that draw them (HTML swimlanes): the threads, the
/// steps shown (the last ones of the execution, in order) and the step during which the finding happened.
struct trace_record {
  struct step {
    uint64_t index = 0;   // position in the execution's trace
    uint32_t thread = 0;  // index into `threads`
    std::string label;    // "btrfs_inc_block_group_ro(bg 22020096)"
  };
  std::vector<std::string> threads;
  std::vector<step> steps;
  uint64_t total_steps = 0;           // steps of the whole execution (steps.front().index = omitted ones)
  std::optional<uint64_t> violating;  // index of the step the finding happened in; none for deadlocks and such
  std::string note;                   // how this execution relates to the seed ("shrunk to 1 preemption, ...")
  std::vector<uint64_t> preemptions;  // steps (of the whole execution) that preempted a thread that could go on
  /// Stretches not kept (the race window folds them): steps [first, end) and their count by thread.
  struct fold {
    uint64_t first = 0, end = 0;
    std::vector<std::pair<uint32_t, uint64_t>> threads;  // (thread, steps), most first
  };
  std::vector<fold> folds;
  /// Typed objects the finding names ("bg:22020096", "devid:3"), highlighted when the page opens.
  std::vector<std::string> finding_objects;
};

struct violation_entry {
  std::string kind;            // "BUG", "WARN", "violation", "deadlock", ...
  std::string message;
  uint64_t seed = 0;           // replay key: execution seed (random, pct) or DFS index
  uint64_t execution = 0;      // index of the execution in its run
  uint64_t occurrences = 1;    // executions that ended the same way
  uint64_t steps = 0, preemptions = 0;
  std::string replay_command;  // one line that replays it (the shrunk execution when it was shrunk)
  std::string found_replay_command;  // the execution as found (its seed), when replay_command is the shrunk one
  std::string shrink_note;     // "shrunk from 9 preemptions, 311 steps to 2 preemptions, 157 steps ..."
  std::string diagram;         // optional: the interleaving diagram
  std::optional<trace_record> trace;  // optional: its steps, for swimlanes
};

/// Which scheduling-point labels an exploration's threads reached and which pairs of them (of
/// different threads) it ran in both orders (sim/label_coverage.hpp).
struct label_coverage_result {
  bool present = false;  // false: not collected (results written before it, merged shards' pairs)
  std::vector<std::pair<std::string, std::vector<std::string>>> threads;  // thread -> label kinds, sorted
  uint64_t pairs_ordered = 0;    // pairs of label kinds of different threads that ran in some order
  uint64_t pairs_reordered = 0;  // ... in both orders
  uint64_t never_reordered_total = 0;
  std::vector<std::pair<std::string, std::string>> never_reordered;  // the first ones, "thread: kind" each
  bool truncated = false;  // more (thread, kind) nodes than a worker tracks (sched::LabelCoverage::kMaxNodes)
  bool pairs_known = true; // false when merged DFS shards stopped early (their pairs past the stop count)
  /// Every pair (x ran before y while both were enabled), sorted: written to JSON only by shards
  /// (`with_pairs`), so that merging them is exact.
  std::vector<std::pair<std::string, std::string>> ordered;
  bool with_pairs = false;
};
/// Fills the pair counts and the never-reordered list (at most `listed`) from `l.ordered`.
void summarize_pairs(label_coverage_result& l, size_t listed = 100);

/// One scenario under one fix setting (one expectation of `fsrace run`, or one `fsrace explore`).
struct case_result {
  uint64_t ordinal = 0;  // position in the suite (scenario files in order, then expectations); kept by sharding
  std::string scenario, file;
  std::string fixes;     // "on", "off", "off+f78c436c3931=on"
  std::string expected;  // "violation BUG containing \"...\"", "clean", "" when nothing was expected
  std::string strategy;  // "pct depth 3", "dfs preemptions 2", "random"
  uint64_t base_seed = 0;
  uint64_t executions = 0;
  uint64_t violating_executions = 0;
  bool exhausted = false;  // dfs covered the bounded space
  double estimated_executions = 0;  // dfs/dpor not exhausted: the estimated size of its space (0: none)
  double estimate_error = 0;        // its relative standard error
  bool estimate_settled = false;    // whether it may be given as "about M" (else the total is unknown)
  std::string coverage;    // "the bounded space is exhausted", "not exhausted: N of about M executions", ...
  label_coverage_result labels;
  enum class status { pass, fail, error } result = status::pass;
  std::string reason;    // why it failed or errored (empty on pass)
  std::vector<violation_entry> violations;
  double seconds = 0;    // wall-clock, informational only (never part of a decision); shrinking included
  bool interrupted = false;  // Ctrl-C stopped it: the executions counted are those done
  /// Ctrl-C stopped it before its verdict was known: it fails (nothing unproven passes) but is no
  /// regression either; JUnit calls it skipped. A violation found where none was expected is decided.
  bool undecided() const;
};
const char* to_string(case_result::status);

struct suite_result {
  std::vector<case_result> cases;
  bool interrupted = false;  // Ctrl-C: the cases after the last one listed did not run
  size_t passed() const;
  size_t failed() const;
  size_t errors() const;
};

}  // namespace fsrace::reports
