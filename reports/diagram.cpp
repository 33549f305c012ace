#include "reports/diagram.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

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
      for (size_t i = avail; i > avail / 3; --i)
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

std::string render_diagram(const sched::Execution& ex, const diagram_options& opts) {
  const size_t columns = std::max<size_t>(1, ex.fiber_names.size());
  const size_t gutter = opts.step_numbers ? std::max<size_t>(4, fmt::formatted_size("{}", ex.trace.size()) + 4) : 0;
  size_t width = opts.column_width;
  if (width == 0) {
    const size_t usable = opts.total_width > gutter ? opts.total_width - gutter : 0;
    width = std::clamp<size_t>(usable / columns - kGap, kMinColumn, kMaxColumn);
  }
  const size_t first = opts.max_steps && ex.trace.size() > opts.max_steps ? ex.trace.size() - opts.max_steps : 0;
  const bool marked = ex.finding.fiber >= 0 && ex.finding.step < ex.trace.size() &&
                      ex.trace[ex.finding.step].fiber == static_cast<sched::FiberId>(ex.finding.fiber);

  std::string out;
  auto emit = [&](const std::string& gutter_text, size_t column, const std::string& text) {
    std::string line = pad(gutter_text, gutter) + std::string(column * (width + kGap), ' ') + text;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  // Header: thread names, underlined.
  std::string names, rules;
  for (size_t c = 0; c < columns; ++c) {
    std::string name = c < ex.fiber_names.size() ? ex.fiber_names[c] : fmt::format("fiber {}", c);
    if (name.size() > width) name = name.substr(0, width);
    names += pad(name, width + kGap);
    rules += pad(std::string(name.size(), '-'), width + kGap);
  }
  emit("", 0, names);
  emit("", 0, rules);
  if (first > 0) emit("", 0, fmt::format("... {} earlier step{} not shown", first, first == 1 ? "" : "s"));

  sched::FiberId previous = sched::kNoFiber;
  for (size_t i = first; i < ex.trace.size(); ++i) {
    const sched::Step& step = ex.trace[i];
    if (previous != sched::kNoFiber && step.fiber != previous) out += '\n';  // a new group
    previous = step.fiber;
    const bool here = marked && i == ex.finding.step;
    const size_t column = std::min<size_t>(step.fiber, columns - 1);
    const auto lines = wrap_text(sched::format_label(step.label), width);
    for (size_t l = 0; l < lines.size(); ++l) {
      std::string g;
      if (opts.step_numbers && l == 0) g = fmt::format("{}{}", here ? "=> " : "", i);
      else if (here && l == 0) g = "=>";
      emit(g, column, lines[l]);
    }
    if (here) emit("", column, fmt::format("*** {} ***", sched::to_string(ex.finding.kind)));
  }
  if (marked) {
    out += '\n';
    const std::string who = ex.trace[ex.finding.step].fiber < ex.fiber_names.size()
                                ? ex.fiber_names[ex.trace[ex.finding.step].fiber]
                                : std::string("?");
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
