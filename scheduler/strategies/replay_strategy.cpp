#include "scheduler/strategies/replay_strategy.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace fsrace::sched {

ReplayStrategy::ReplayStrategy(const Execution& recorded) : decisions_(recorded.decisions) {
  if (recorded.trace.size() != recorded.decisions.size())
    throw std::invalid_argument("fsrace: ReplayStrategy needs an execution recorded with its trace");
  hashes_.reserve(recorded.trace.size());
  texts_.reserve(recorded.trace.size());
  for (const Step& s : recorded.trace) {
    hashes_.push_back(label_hash(s.label));
    texts_.push_back(format_label(s.label));
  }
}

ReplayStrategy::ReplayStrategy(std::vector<FiberId> decisions, std::vector<uint64_t> label_hashes,
                               std::vector<std::string> label_texts, std::string steps_path)
    : decisions_(std::move(decisions)),
      hashes_(std::move(label_hashes)),
      texts_(std::move(label_texts)),
      steps_path_(std::move(steps_path)) {
  if (hashes_.size() != decisions_.size())
    throw std::invalid_argument("fsrace: ReplayStrategy: one label hash per decision is required");
  if (!texts_.empty() && texts_.size() != decisions_.size())
    throw std::invalid_argument("fsrace: ReplayStrategy: label texts, when given, must match the decisions");
}

std::string ReplayStrategy::expected_text(uint64_t step) const {
  if (step < texts_.size()) return fmt::format("\"{}\"", texts_[step]);
  return fmt::format("label #{:016x}", hashes_[step]);
}

namespace {
std::string name_of(const Scheduler& s, FiberId f) {
  return f < s.fiber_count() ? s.fiber_name(f) : fmt::format("fiber {}", f);
}
}  // namespace

// "/steps/12: replay diverged at step 12" (the JSON path of the step in a schedule file first, as in
// every input error), or "replay diverged at step 12".
std::string ReplayStrategy::where(uint64_t step) const {
  if (steps_path_.empty()) return fmt::format("replay diverged at step {}", step);
  return fmt::format("{}/{}: replay diverged at step {}", steps_path_, step, step);
}

size_t ReplayStrategy::choose(const Decision& d) {
  const uint64_t i = d.step;
  Scheduler& s = *d.scheduler;
  auto diverge = [&](std::string message) {
    s.fail_current({FindingKind::Divergence, fmt::format("{}: {}", where(i), std::move(message)), -1, i});
    return size_t{0};
  };
  if (i >= decisions_.size())
    return diverge(fmt::format("the recording ends after {} steps, but {} got to run next (\"{}\")", decisions_.size(),
                               name_of(s, d.runnable[0]), format_label(s.pending_label(d.runnable[0]))));
  const FiberId want = decisions_[i];
  const FiberId* it = std::find(d.runnable, d.runnable + d.count, want);
  if (it == d.runnable + d.count)
    return diverge(fmt::format("recorded {} by {}, but {} is not runnable", expected_text(i), name_of(s, want),
                               name_of(s, want)));
  const Label& got = s.pending_label(want);
  // The whole recorded label, not its hash: a label with the same hash (or the same text built from
  // other arguments) is never reported as a divergence with identical texts.
  const bool same = texts_.empty() ? label_hash(got) == hashes_[i] : format_label(got) == texts_[i];
  if (!same)
    return diverge(fmt::format("recorded {} by {}, got \"{}\" by {}", expected_text(i), name_of(s, want),
                               format_label(got), name_of(s, want)));
  return static_cast<size_t>(it - d.runnable);
}

void ReplayStrategy::no_runnable(uint64_t step, Scheduler& s) {
  if (step >= decisions_.size()) return;
  s.fail_current({FindingKind::Divergence,
                  fmt::format("{}: recorded {} by {}, but no fiber is runnable", where(step),
                              expected_text(step), name_of(s, decisions_[step])),
                  -1, step});
}

}  // namespace fsrace::sched
