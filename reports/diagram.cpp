#include "reports/diagram.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "reports/race_window.hpp"

namespace fsrace::reports {
namespace {

constexpr size_t kMinColumn = 24, kMaxColumn = 48, kGap = 2;

// Preferred break points: after a space or comma, or before '('. Fallbacks inside identifiers and paths.
bool soft_break_after(char c) { return c == ' ' || c == ','; }
bool hard_break_after(char c) { return c == '_' || c == '/' || c == '.' || c == '>'; }

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::vector<std::string> wrap_text(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  width = std::max<size_t>(width, 8);
  std::string rest = text;
  size_t avail = width;
  for (size_t guard = 0; guard <= text.size() + 1; ++guard) {  // each pass consumes >= 1 character
    if (rest.size() <= avail) {
      lines.push_back(rest);
      break;
    }
    // The last good break at or before avail that keeps at least a third of the line: a soft one if
    // any, else one inside an identifier, else a hard break.
    auto last_break = [&](bool soft) {
      for (size_t i = avail; i > (soft ? 0 : avail / 3); --i)
        if (soft ? (soft_break_after(rest[i - 1]) || (i < rest.size() && rest[i] == '(')) : hard_break_after(rest[i - 1]))
          return i;
      return size_t{0};
    };
    size_t cut = last_break(true);
    if (cut == 0) cut = last_break(false);
    if (cut == 0) cut = avail;
    std::string line = rest.substr(0, cut);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
    rest = rest.substr(cut);
    while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
    if (rest.empty()) break;
    if (lines.size() == 1) avail = width - 2;
  }
  for (size_t i = 1; i < lines.size(); ++i) lines[i] = "  " + lines[i];
  return lines;
}

namespace {

// The longest run of characters wrap_text will not break (plus the continuation indent).
size_t longest_word(const std::string& text) {
  size_t longest = 0, run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(' && run) longest = std::max(longest, run), run = 0;
    ++run;
    if (soft_break_after(text[i])) longest = std::max(longest, run), run = 0;
  }
  return std::max(longest, run) + 2;
}

}  // namespace

std::string render_diagram(const sched::Execution& ex, const diagram_options& opts) {
  const bool marked = ex.finding.fiber >= 0 && ex.finding.step < ex.trace.size() &&
                      ex.trace[ex.finding.step].fiber == static_cast<sched::FiberId>(ex.finding.fiber);
  // The window: everything when it fits, else the steps around the preemptions and the finding.
  std::vector<uint32_t> thread_of(ex.trace.size());
  for (size_t i = 0; i < ex.trace.size(); ++i) thread_of[i] = ex.trace[i].fiber;
  std::vector<window_part> parts;
  if (opts.max_steps == 0 || ex.trace.size() <= opts.max_steps) parts.push_back({0, ex.trace.size(), false, {}});
  else parts = race_window(thread_of, opts.preemptions, marked ? std::optional<uint64_t>(ex.finding.step) : std::nullopt,
                           {4, opts.max_steps});
  std::vector<bool> preempts(ex.trace.size(), false);
  for (uint64_t p : opts.preemptions)
    if (p < preempts.size()) preempts[p] = true;
  // Columns for the threads with a step shown (and every thread of a trace without steps).
  const size_t threads = std::max<size_t>({1, ex.fiber_names.size()});
  std::vector<size_t> column(threads, SIZE_MAX);
  std::vector<size_t> lanes;
  for (const auto& part : parts)
    if (!part.folded)
      for (uint64_t i = part.first; i < part.end; ++i) column[std::min<size_t>(ex.trace[i].fiber, threads - 1)] = 0;
  if (ex.trace.empty()) std::fill(column.begin(), column.end(), 0);
  for (size_t t = 0; t < threads; ++t)
    if (column[t] == 0) column[t] = lanes.size(), lanes.push_back(t);
  const size_t columns = std::max<size_t>(1, lanes.size());
  const size_t gutter = opts.step_numbers ? std::max<size_t>(4, fmt::formatted_size("{}", ex.trace.size()) + 4) : 0;
  auto name_of = [&](size_t t) { return t < ex.fiber_names.size() ? ex.fiber_names[t] : fmt::format("fiber {}", t); };
  size_t width = opts.column_width;
  if (width == 0) {
    const size_t usable = opts.total_width > gutter ? opts.total_width - gutter : 0;
    width = std::clamp<size_t>(usable / columns - kGap, kMinColumn, kMaxColumn);
    // Wider, up to the maximum, rather than breaking inside a word.
    for (const auto& part : parts)
      if (!part.folded)
        for (uint64_t i = part.first; i < part.end; ++i)
          width = std::max(width, std::min(kMaxColumn, longest_word(sched::format_label(ex.trace[i].label))));
  }

  std::string out;
  auto emit = [&](const std::string& gutter_text, size_t col, const std::string& text) {
    std::string line = pad(gutter_text, gutter) + std::string(col * (width + kGap), ' ') + text;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  // Header: thread names, underlined.
  std::string names, rules;
  for (size_t t : lanes) {
    std::string name = name_of(t);
    if (name.size() > width) name = name.substr(0, width);
    names += pad(name, width + kGap);
    rules += pad(std::string(name.size(), '-'), width + kGap);
  }
  emit("", 0, names);
  emit("", 0, rules);
  std::vector<std::string> idle;
  for (size_t t = 0; t < threads && t < ex.fiber_names.size(); ++t)
    if (column[t] == SIZE_MAX) idle.push_back(ex.fiber_names[t]);
  const std::string hidden = count_names(idle);
  if (!hidden.empty())
    for (const auto& line : wrap_text(fmt::format("(threads without a step shown: {})", hidden),
                                      std::max(opts.total_width, gutter + width) - gutter))
      emit("", 0, line);

  sched::FiberId previous = sched::kNoFiber;
  for (const auto& part : parts) {
    if (part.folded) {
      out += '\n';
      emit("", 0, fmt::format("... {}", describe_fold(part, ex.fiber_names)));
      previous = sched::kNoFiber;
      continue;
    }
    for (uint64_t i = part.first; i < part.end; ++i) {
      const sched::Step& step = ex.trace[i];
      if (previous != sched::kNoFiber && step.fiber != previous) out += '\n';  // a new group
      const size_t col = column[std::min<size_t>(step.fiber, threads - 1)];
      if (preempts[i] && i > 0)
        emit("", col, fmt::format("~~ preempts {} ~~", name_of(ex.trace[i - 1].fiber)));
      previous = step.fiber;
      const bool here = marked && i == ex.finding.step;
      const auto lines = wrap_text(sched::format_label(step.label), width);
      for (size_t l = 0; l < lines.size(); ++l) {
        std::string g;
        if (opts.step_numbers && l == 0) g = fmt::format("{}{}", here ? "=> " : "", i);
        else if (here && l == 0) g = "=>";
        emit(g, col, lines[l]);
      }
      if (here) emit("", col, fmt::format("*** {} ***", sched::to_string(ex.finding.kind)));
    }
  }
  if (!opts.footer) return out;
  if (marked) {
    out += '\n';
    const std::string who = name_of(ex.trace[ex.finding.step].fiber);
    for (const auto& line : wrap_text(fmt::format("*** {} at step {} ({}): {}", sched::to_string(ex.finding.kind),
                                                  ex.finding.step, who, ex.finding.message),
                                      std::max(opts.total_width, gutter + width) - gutter))
      emit("", 0, line);
  }
  if (ex.finding.kind != sched::FindingKind::None && !marked) {
    out += '\n';
    const std::string where = ex.finding.step >= ex.trace.size() ? std::string("after the last step")
                                                                  : fmt::format("at step {}", ex.finding.step);
    for (const auto& line : wrap_text(fmt::format("*** {} {}: {}", sched::to_string(ex.finding.kind), where,
                                                  ex.finding.message),
                                      std::max(opts.total_width, gutter + width) - gutter))
      emit("", 0, line);
  }
  return out;
}

}  // namespace fsrace::reports
