#include "reports/diagram.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "reports/race_window.hpp"

namespace fsrace::reports {
namespace {

constexpr size_t kMinColumn = 24, kMaxColumn = 48, kGap = 2;

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Where a line may end: before text[i] (text[i - 1] is the line's last character). Tiers, best first:
//   1 after a space or a comma;
//   2 after punctuation outside identifiers ('(' '/' '.' '=' ':' "->", '-' inside a hyphenated word);
//   3 after '_', inside an identifier longer than the line;
//   4 anywhere.
// Never before '(' (a function name stays with its argument list), nor before a closing ')' or ','.
bool may_break(const std::string& text, size_t i, int tier) {
  if (i == 0 || i >= text.size()) return false;
  size_t next = i;
  while (next < text.size() && text[next] == ' ') ++next;
  if (next < text.size() && (text[next] == '(' || text[next] == ')' || text[next] == ',')) return false;
  const char c = text[i - 1], n = text[i];
  switch (tier) {
    case 1: return c == ' ' || c == ',';
    case 2:
      if (ident_char(c) || c == ' ') return false;
      if (c == '-') return n != '>' && ident_char(n) && i >= 2 && ident_char(text[i - 2]);  // "long-name", not "->" or "-22"
      return n != ' ';
    case 3: return c == '_';
    default: return true;
  }
}

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
    // The last break of the best tier at or before avail; below tier 1 it must keep a third of the line.
    size_t cut = 0;
    for (int tier = 1; tier <= 4 && cut == 0; ++tier)
      for (size_t i = avail; i > (tier == 1 ? 0 : avail / 3) && cut == 0; --i)
        if (may_break(rest, i, tier)) cut = i;
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

// The longest run of characters wrap_text keeps on one line when the line is wide enough (between tier 1
// breaks), plus the continuation indent: a column this wide breaks labels only at spaces and commas.
size_t longest_word(const std::string& text) {
  size_t longest = 0, from = 0;
  for (size_t i = 1; i <= text.size(); ++i)
    if (i == text.size() || may_break(text, i, 1)) {
      size_t to = i;
      while (to > from && text[to - 1] == ' ') --to;
      longest = std::max(longest, to - from);
      from = i;
      while (from < text.size() && text[from] == ' ') ++from;
    }
  return longest + 2;
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
  const size_t threads = std::max<size_t>({1, ex.fiber_names.size()});
  for (auto& t : thread_of) t = static_cast<uint32_t>(std::min<size_t>(t, threads - 1));
  const size_t gutter = opts.step_numbers ? std::max<size_t>(4, fmt::formatted_size("{}", ex.trace.size()) + 4) : 0;
  // Columns: every thread with a step shown when they fit the width, else the threads of the race (a wide
  // diagram folds the steps of the others into the "..." lines).
  const size_t usable = opts.total_width > gutter ? opts.total_width - gutter : 0;
  const size_t max_lanes = std::max<size_t>(2, usable / (kMinColumn + kGap));  // as many as fit at the narrowest
  std::vector<bool> lane = race_lanes(thread_of, parts, opts.preemptions,
                                      marked ? std::optional<uint64_t>(ex.finding.step) : std::nullopt, max_lanes);
  parts = fold_other_threads(thread_of, parts, lane);
  lane.resize(threads, false);
  if (ex.trace.empty()) std::fill(lane.begin(), lane.end(), true);  // a trace without steps: every thread
  std::vector<size_t> column(threads, SIZE_MAX);
  std::vector<size_t> lanes;
  for (size_t t = 0; t < threads; ++t)
    if (lane[t]) column[t] = lanes.size(), lanes.push_back(t);
  const size_t columns = std::max<size_t>(1, lanes.size());
  auto name_of = [&](size_t t) { return t < ex.fiber_names.size() ? ex.fiber_names[t] : fmt::format("fiber {}", t); };
  size_t width = opts.column_width;
  if (width == 0) {
    width = std::clamp<size_t>(usable / columns > kGap ? usable / columns - kGap : 0, kMinColumn, kMaxColumn);
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
  // The threads without a column, named once under the header.
  std::vector<std::string> undrawn;
  for (size_t t = 0; t < threads && t < ex.fiber_names.size(); ++t)
    if (column[t] == SIZE_MAX) undrawn.push_back(ex.fiber_names[t]);
  if (!undrawn.empty())
    for (const auto& line : wrap_text(fmt::format("(no column: {}; no step among those drawn)", count_names(undrawn)),
                                      std::max(opts.total_width, gutter + width) - gutter))
      emit("", 0, line);

  sched::FiberId previous = sched::kNoFiber;
  for (const auto& part : parts) {
    if (part.folded) {
      out += '\n';
      // A fold that starts with a preemption (by a thread without a column) says so.
      const std::string preemption =
          part.first > 0 && part.first < preempts.size() && preempts[part.first]
              ? fmt::format(" ({} preempts {})", name_of(thread_of[part.first]), name_of(thread_of[part.first - 1]))
              : std::string();
      for (const auto& line : wrap_text(fmt::format("... {}{}", describe_fold(part, ex.fiber_names), preemption),
                                        std::max(opts.total_width, gutter + width) - gutter))
        emit("", 0, line);
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
