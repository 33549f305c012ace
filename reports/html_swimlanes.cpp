#include "reports/html_swimlanes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "reports/html_escape.hpp"
#include "reports/race_window.hpp"

namespace fsrace::reports {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Shown text: "->" never split by a line break (browsers break after a hyphen), a break allowed after it.
std::string shown(std::string_view text) {
  std::string out = html_escape(text);
  for (size_t at = out.find("-&gt;"); at != std::string::npos; at = out.find("-&gt;", at + 1)) {
    out.replace(at, 5, "<span class=\"nb\">-&gt;</span><wbr>");
    at += 33;
  }
  return out;
}

std::string obj(std::string_view type, std::string_view text) {
  const std::string e = html_escape(text), t = html_escape(type);
  return fmt::format("<span class=\"obj\" data-obj=\"{}:{}\" title=\"{} {}\">{}</span>", t, e, t, e, shown(text));
}

bool standalone_number_at(std::string_view s, size_t i) {
  return std::isdigit(static_cast<unsigned char>(s[i])) && (i == 0 || !ident_char(s[i - 1]));
}

// The tree an item key's objectid belongs to gives its type: the root tree's keys are tree ids, the dev
// tree's devids, a subvolume's inode numbers, the extent tree's extents (a block group's item where the
// number starts a group the trace names, else the extent's bytenr); the chunk and csum trees' are no objects.
std::string objectid_type(std::optional<uint64_t> tree, bool known_bg) {
  if (!tree) return "root";  // create_pending_snapshot(source 5, objectid 257): a new tree
  switch (*tree) {
    case 1: return "root";
    case 2: return known_bg ? "bg" : "bytenr";
    case 4: return "devid";
    case 3: case 7: case 9: case 10: return "";  // chunk, csum, uuid, free space trees
  }
  return *tree >= 5 ? "inode" : "";  // fs trees, subvolumes, the data reloc tree (-9)
}

// What a number is, from the words before it ("bg 5", "send root 5", "tree block 30408704") or, for a
// bare first argument, from the function ("find_extent_buffer(30408704)"). Empty: not an object.
std::string number_type(std::string_view fn, std::string_view word, std::string_view before, bool first_arg,
                        std::optional<uint64_t> tree, bool known_bg) {
  if (word == "bg" || word == "chunk") return "bg";
  if (word == "devid") return "devid";
  if (word == "root") return "root";  // "root 5", "send root 257", "commit root 2": tree ids
  if (word == "objectid") return objectid_type(tree, known_bg);
  if (word == "source" || (word == "parent" && fn.find("snap") != std::string_view::npos) ||
      (word == "parent" && fn.find("subvol") != std::string_view::npos))
    return "root";
  if (word == "eb" || word == "bytenr" || (word == "block" && before == "tree") || (word == "buffer" && before == "extent"))
    return "bytenr";
  if (word == "ino" || word == "inode") return "inode";
  if (word == "logical") return "logical";
  if (word == "transid") return "transid";
  if ((word == "page" || word == "index") && before == "btree") return "page";
  if (word == "ordered") return "ordered";
  if (word.empty() && first_arg) {
    if (fn == "find_extent_buffer" || fn == "read_tree_block" || fn == "read_node_slot" || fn == "free_extent_buffer")
      return "bytenr";
    if (fn == "btrfs_lookup_block_group") return "bg";
  }
  return "";
}

std::string lone_type(std::string_view fn) {
  auto starts = [&](std::string_view p) { return fn.substr(0, p.size()) == p; };
  if (starts("atomic_") || starts("wait_var_event") || starts("wake_up_var")) return "var";
  if (starts("wait_event") || starts("wake_up") || starts("complete") || starts("wait_for_completion")) return "wq";
  return "lock";
}

// Walks `s`: calls text(piece) for plain text and object(type, value) for each typed object. `bgs`: the
// block groups the trace names (typing an extent tree objectid), or null.
template <class Text, class Object>
void scan(std::string_view fn, std::string_view s, Text text, Object object, const std::set<std::string>* bgs = nullptr) {
  std::string_view word, before;  // the last two words
  bool first_arg = false;
  std::optional<uint64_t> tree;  // the tree of the item this label names ("root 2, objectid ...")
  size_t i = 0;
  while (i < s.size()) {
    if (standalone_number_at(s, i)) {
      size_t j = i + 1;
      if (s[i] == '0' && j < s.size() && s[j] == 'x') ++j;
      while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j == s.size() || !ident_char(s[j])) {
        const std::string_view value = s.substr(i, j - i);
        const std::string type =
            number_type(fn, word, before, first_arg, tree, bgs && bgs->count(std::string(value)) != 0);
        if (word == "root") {  // "root 2, objectid ...": the tree of the item
          uint64_t id = 0;
          if (std::from_chars(value.data(), value.data() + value.size(), id).ec == std::errc{}) tree = id;
        }
        if (type.empty()) text(s.substr(i, j - i));
        else object(type, s.substr(i, j - i));
        before = word = {};
        first_arg = false;
        i = j;
        continue;
      }
    }
    if (ident_start(s[i])) {
      size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      before = word;
      word = s.substr(i, j - i);
      first_arg = false;
      text(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (s[i] == '(') first_arg = true, before = word = {};
    else if (s[i] == ',' || s[i] == ')' || s[i] == ':') first_arg = false, before = word = {};
    else if (s[i] != ' ') first_arg = false;
    text(s.substr(i, 1));
    ++i;
  }
}

// The kernel's lock, wait and counter primitives: their one argument is the object, whatever its words
// ("down_write(btrfs_root->node lock)").
bool primitive(std::string_view fn) {
  static constexpr std::string_view prefixes[] = {"mutex_", "spin_", "down_", "up_", "read_lock", "read_unlock", "write_lock",
                                                  "write_unlock", "wait_event", "wake_up", "complete", "wait_for_completion",
                                                  "atomic_", "wait_var_event", "btrfs_exclop_"};
  for (auto p : prefixes)
    if (fn.substr(0, p.size()) == p) return true;
  return false;
}

std::string html_args(std::string_view fn, std::string_view s, const std::set<std::string>* bgs) {
  if (s.size() > 2 && s.front() == '(' && s.back() == ')') {  // a lone argument: a lock, a wait queue, a counter
    const std::string_view inner = s.substr(1, s.size() - 2);
    bool lone = inner.find_first_of(primitive(fn) ? ",()" : ",() ") == std::string_view::npos && ident_start(inner.front());
    for (size_t i = 0; lone && i < inner.size(); ++i) lone = !standalone_number_at(inner, i);
    if (lone) return "(" + obj(lone_type(fn), inner) + ")";
  }
  std::string out, text;  // plain text is shown in runs, so that "->" is seen whole
  auto flush = [&] { out += shown(text), text.clear(); };
  scan(fn, s, [&](std::string_view t) { text += t; },
       [&](const std::string& type, std::string_view v) { flush(), out += obj(type, v); }, bgs);
  flush();
  return out;
}

}  // namespace

std::vector<std::string> typed_objects(const std::string& text) {
  std::vector<std::string> out;
  scan("", text, [](std::string_view) {}, [&](const std::string& type, std::string_view v) { out.push_back(type + ":" + std::string(v)); });
  return out;
}

std::string html_label(const std::string& label, const std::set<std::string>* bgs) {
  size_t fn = 0;
  if (!label.empty() && ident_start(label[0]))
    while (fn < label.size() && ident_char(label[fn])) ++fn;
  const std::string_view name = std::string_view(label).substr(0, fn);
  std::string out;
  if (fn) out += fmt::format("<span class=\"fn\">{}</span>", html_escape(name));
  if (fn < label.size()) {
    std::string args = html_args(name, std::string_view(label).substr(fn), bgs);
    // A narrow lane may break after the opening parenthesis, never between the name and its arguments.
    if (fn && args.front() == '(') args.insert(1, "<wbr>");
    out += fmt::format("<span class=\"args\">{}</span>", args);
  }
  return out;
}

std::string html_swimlanes(const trace_record& t, const std::string& finding, size_t visible) {
  // A lane per thread that has a step here (kernel workers started on demand, as end_io fibers are,
  // often have none in the steps kept); the others are named under the table.
  std::vector<size_t> column(t.threads.size(), SIZE_MAX);
  std::vector<size_t> lanes;  // thread index of each column, in thread order
  for (const auto& s : t.steps) column[s.thread] = 0;
  for (size_t th = 0; th < t.threads.size(); ++th)
    if (column[th] == 0) column[th] = lanes.size(), lanes.push_back(th);
  // Many lanes scroll sideways instead of squeezing labels into a few characters.
  // (18em holds a 30-character lock name, so labels break at spaces, not inside identifiers.)
  const bool wide = lanes.size() > 3;
  std::string finding_objs;
  for (const auto& o : t.finding_objects) finding_objs += (finding_objs.empty() ? "" : " ") + html_escape(o);
  const std::string attrs = finding_objs.empty() ? "" : fmt::format(" data-finding=\"{}\"", finding_objs);
  std::string out = wide ? fmt::format("<div class=\"lanes-scroll\"><table class=\"lanes\"{} style=\"min-width: {}em\">\n", attrs,
                                       5 + 18 * lanes.size())
                         : fmt::format("<table class=\"lanes\"{}>\n", attrs);
  out += "<colgroup><col class=\"n\">";
  for (size_t c = 0; c < lanes.size(); ++c) out += "<col>";
  out += "</colgroup>\n<thead><tr><th class=\"n\">step</th>";
  for (size_t th : lanes) out += fmt::format("<th class=\"lane t{}\">{}</th>", th % 8, html_escape(t.threads[th]));
  out += "</tr></thead>\n<tbody>\n";
  const size_t span = lanes.size() + 1;
  if (!t.steps.empty() && t.steps.front().index > 0 && (t.folds.empty() || t.folds.front().first != 0)) {
    const uint64_t omitted = t.steps.front().index;
    out += fmt::format("<tr class=\"omitted\"><td colspan=\"{}\">&hellip; {} earlier step{} not kept</td></tr>\n", span, omitted,
                       omitted == 1 ? "" : "s");
  }
  std::vector<bool> preempts;  // by position in t.steps
  for (const auto& s : t.steps)
    preempts.push_back(std::binary_search(t.preemptions.begin(), t.preemptions.end(), s.index));
  const trace_record::step* previous = nullptr;
  size_t fold = 0;
  auto fold_row = [&](const trace_record::fold& f) {
    window_part part{f.first, f.end, true, f.threads};
    // A fold of threads without a lane may start by preempting the thread of the row above.
    const bool preempting = previous && previous->index + 1 == f.first &&
                            std::binary_search(t.preemptions.begin(), t.preemptions.end(), f.first);
    out += fmt::format("<tr class=\"folded{}\"><td class=\"n\">{}&ndash;{}</td><td colspan=\"{}\">&hellip; {}{}</td></tr>\n",
                       preempting ? " preempt" : "", f.first, f.end - 1, span - 1, html_escape(describe_fold(part, t.threads)),
                       preempting ? fmt::format(" (the first preempts {})", html_escape(t.threads[previous->thread])) : std::string());
  };
  // The block groups the trace names: an extent tree item with one's start is its block group item.
  std::set<std::string> bgs;
  auto note_bgs = [&](const std::vector<std::string>& objects) {
    for (const auto& o : objects)
      if (o.rfind("bg:", 0) == 0) bgs.insert(o.substr(3));
  };
  for (const auto& s : t.steps) note_bgs(typed_objects(s.label));
  note_bgs(t.finding_objects);
  const size_t early = t.steps.size() > visible ? t.steps.size() - visible : 0;
  for (size_t k = 0; k < t.steps.size(); ++k) {
    const auto& s = t.steps[k];
    while (fold < t.folds.size() && t.folds[fold].end <= s.index) {
      fold_row(t.folds[fold++]);
      previous = nullptr;
    }
    const bool here = t.violating && *t.violating == s.index;
    std::string cls = here ? "violating" : "";
    auto add = [&](const char* c) { cls += cls.empty() ? c : std::string(" ") + c; };
    if (previous && previous->thread != s.thread) add("switch");
    if (preempts[k]) add("preempt");
    if (k < early && !here) add("early");
    out += cls.empty() ? "<tr>" : fmt::format("<tr class=\"{}\">", cls);
    out += fmt::format("<td class=\"n\">{}</td>", s.index);
    for (size_t c = 0; c < column[s.thread]; ++c) out += "<td></td>";
    out += fmt::format("<td class=\"step t{}\">", s.thread % 8);
    if (preempts[k]) {
      const bool known = previous && previous->index + 1 == s.index;
      out += fmt::format("<div class=\"preempt-mark\" title=\"a preemption: the scheduler switched away from a thread that could go on\">"
                         "&#x21B7; preempts {}</div>",
                         known ? html_escape(t.threads[previous->thread]) : std::string("the thread before"));
    }
    out += html_label(s.label, &bgs);
    if (here) out += fmt::format("<div class=\"finding\">{}</div>", html_escape(finding));
    out += "</td>";
    for (size_t c = column[s.thread] + 1; c < lanes.size(); ++c) out += "<td></td>";
    out += "</tr>\n";
    previous = &s;
  }
  while (fold < t.folds.size()) fold_row(t.folds[fold++]);
  out += wide ? "</tbody>\n</table></div>\n" : "</tbody>\n</table>\n";
  std::vector<std::string> idle_names;
  for (size_t th = 0; th < t.threads.size(); ++th)
    if (column[th] == SIZE_MAX) idle_names.push_back(t.threads[th]);
  const std::string idle = html_escape(count_names(idle_names));
  if (!idle.empty())
    out += fmt::format("<p class=\"note\">No lane: {} (no step among those drawn).</p>\n", idle);
  if (!t.violating && !finding.empty())
    out += fmt::format("<p class=\"finding after\">the execution ended: {}</p>\n", html_escape(finding));
  return out;
}

}  // namespace fsrace::reports
