#pragma once
#include <string>
#include <vector>

#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// Follows a recorded decision list. Each step's whole label (its text, as recorded) is checked against
/// the recording: if the chosen fiber is about to do something else, is not runnable, or the recording
/// runs out, the execution ends with FindingKind::Divergence
/// "/steps/N: replay diverged at step N: recorded \"<label>\" by <fiber>, got \"<label>\" by <fiber>"
/// (the path part when a `steps_path` is given).
/// Only a recording without texts falls back to comparing label hashes.
class ReplayStrategy final : public Strategy {
 public:
  /// Replays a recorded execution (needs its trace: record_trace was on).
  explicit ReplayStrategy(const Execution& recorded);
  /// label_hashes[i] = label_hash of step i; label_texts (optional, same length): the recorded labels,
  /// then compared in full instead of the hashes. `steps_path` names the recorded steps in messages
  /// ("/steps", the JSON path in a schedule file); empty: no path is shown.
  ReplayStrategy(std::vector<FiberId> decisions, std::vector<uint64_t> label_hashes,
                 std::vector<std::string> label_texts = {}, std::string steps_path = {});

  void begin(uint64_t /*seed*/) override {}
  size_t choose(const Decision&) override;
  void no_runnable(uint64_t step, Scheduler&) override;
  size_t length() const { return decisions_.size(); }

 private:
  std::string expected_text(uint64_t step) const;
  std::string where(uint64_t step) const;
  std::vector<FiberId> decisions_;
  std::vector<uint64_t> hashes_;
  std::vector<std::string> texts_;
  std::string steps_path_;
};

}  // namespace fsrace::sched
