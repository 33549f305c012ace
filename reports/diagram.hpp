#pragma once
// The interleaving diagram, drawn the way btrfs commit messages show races: one column per thread,
// every step on its own row in execution order, consecutive steps of one thread grouped (a blank row
// separates groups), preemptions and the step during which the finding happened marked, long labels
// wrapped inside their column at spaces. A long execution shows its race window (race_window.hpp): the
// steps around the preemptions and the finding, other stretches folded into one counted line, and
// columns only for the threads with a step shown. Plain text, for terminals and commit messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scheduler/scheduler.hpp"

namespace fsrace::reports {

struct diagram_options {
  size_t column_width = 0;  // characters per thread column; 0 = fit `total_width`
  size_t total_width = 120; // target width when column_width is 0 (columns never go below 24)
  size_t max_steps = 0;     // at most N steps shown (0 = all): a longer execution shows its race window
  bool step_numbers = true; // left gutter with the step index
  std::vector<uint64_t> preemptions = {};  // steps that preempted a thread (marked; centre the window)
  bool footer = true;       // the finding's full message after the diagram (callers printing it may drop it)
};

/// Draws `ex.trace` (recorded with record_trace) with columns named by `ex.fiber_names`; the step of
/// `ex.finding` (when it names a fiber and a step of the trace) is marked with "=>" in the gutter and
/// "*** KIND ***" under it in its column; the finding's full message follows the diagram.
std::string render_diagram(const sched::Execution& ex, const diagram_options& opts = {});

/// Splits `text` into lines of at most `width` characters, breaking after spaces or commas or before '('
/// where possible, else (a word longer than the line) inside it after '_', '/', '.', '>', else anywhere;
/// continuation lines are indented by two spaces. The diagram widens its columns to the longest word
/// (up to 48 characters), so its labels break only at spaces, commas and parentheses.
std::vector<std::string> wrap_text(const std::string& text, size_t width);

}  // namespace fsrace::reports
