// The CPU-column diagram: columns per thread, one row per step in order, groups, marking, wrapping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "reports/diagram.hpp"
#include "reports/race_window.hpp"

using namespace fsrace;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

sched::Execution three_threads() {
  sched::Execution ex;
  ex.fiber_names = {"scrub", "cleaner", "writer"};
  ex.trace = {{0, sched::L("start scrub")},
              {1, sched::L("start cleaner")},
              {1, sched::L("btrfs_delete_unused_bgs")},
              {1, sched::L("btrfs_remove_chunk(bg {})", 13631488)},
              {0, sched::L("scrub_enumerate_chunks: search the device tree commit root and find the dev extent "
                           "of block group {} on devid {}", 13631488, 1)},
              {2, sched::L("start writer")},
              {0, sched::L("scrub_chunk(bg {})", 13631488)}};
  ex.decisions = {0, 1, 1, 1, 0, 2, 0};
  ex.finding = {sched::FindingKind::Violation, "scrub returned -EINVAL (-22) to user space", 0, 6};
  ex.steps = 7;
  return ex;
}

// Column of the first non-space character after the gutter.
size_t text_column(const std::string& line) { return line.find_first_not_of(' ', 0); }

}  // namespace

TEST_CASE("each thread has its column, each step its row, in execution order") {
  const auto ex = three_threads();
  reports::diagram_options opts;
  opts.column_width = 30;
  const auto lines = lines_of(reports::render_diagram(ex, opts));
  // Header: names at the column starts.
  const size_t gutter = lines[0].find("scrub");
  REQUIRE(gutter != std::string::npos);
  CHECK(lines[0].find("cleaner") == gutter + 32);
  CHECK(lines[0].find("writer") == gutter + 64);
  CHECK(lines[1].find("-----") == gutter);
  // Every label appears, in order, in its thread's column.
  size_t last_row = 1;
  for (size_t i = 0; i < ex.trace.size(); ++i) {
    const std::string first_words = sched::format_label(ex.trace[i].label).substr(0, 12);
    size_t row = last_row + 1;
    while (row < lines.size() && lines[row].find(first_words) == std::string::npos) ++row;
    INFO("step " << i << ": " << first_words);
    REQUIRE(row < lines.size());
    CHECK(lines[row].find(first_words) == gutter + ex.trace[i].fiber * 32);
    CHECK(lines[row].find(std::to_string(i)) < gutter);  // step number in the gutter
    last_row = row;
  }
}

TEST_CASE("consecutive steps of one thread are grouped, a change of thread starts a new group") {
  const auto lines = lines_of(reports::render_diagram(three_threads(), {30, 100, 0, true}));
  auto row_of = [&](const std::string& s) {
    for (size_t i = 0; i < lines.size(); ++i)
      if (lines[i].find(s) != std::string::npos) return i;
    FAIL("not found: " << s);
    return size_t{0};
  };
  CHECK(row_of("btrfs_delete_unused_bgs") == row_of("start cleaner") + 1);  // same group
  CHECK(lines[row_of("start cleaner") - 1].empty());                         // blank row before a new group
  CHECK(lines[row_of("start writer") - 1].empty());
}

TEST_CASE("the violating step is marked in the gutter and in its column, the message follows the diagram") {
  const auto text = reports::render_diagram(three_threads(), {30, 100, 0, true});
  const auto lines = lines_of(text);
  size_t marked = 0, count = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind("=>", 0) == 0) marked = i, ++count;
  REQUIRE(count == 1);
  CHECK(lines[marked].find("scrub_chunk(bg 13631488)") != std::string::npos);
  CHECK(lines[marked].find("=> 6") == 0);
  CHECK(lines[marked + 1].find("*** violation ***") != std::string::npos);
  CHECK(text_column(lines[marked + 1]) == lines[marked].find("scrub_chunk"));
  CHECK(lines[marked + 2].empty());
  CHECK(lines[marked + 3].find("*** violation at step 6 (scrub): scrub returned -EINVAL (-22) to user space") ==
        lines[0].find("scrub"));
}

TEST_CASE("long labels wrap inside their column") {
  const auto ex = three_threads();
  const auto lines = lines_of(reports::render_diagram(ex, {30, 100, 0, true}));
  const size_t gutter = lines[0].find("scrub");
  for (size_t row = 2; row < lines.size(); ++row) {  // after the header
    const std::string& line = lines[row];
    if (line.empty() || line.rfind("=>", 0) == 0) continue;
    if (line.find("*** violation at step") != std::string::npos) break;  // the full-width message below
    const size_t start = text_column(line);
    if (start < gutter) continue;  // a gutter number: the text follows it
    const size_t column = (start - gutter) / 32;
    CHECK(line.size() <= gutter + column * 32 + 30);  // never spills into the next column
  }
  // The long scrub_enumerate_chunks label took several rows, all in column 0.
  size_t rows = 0;
  for (const auto& line : lines)
    if (line.find("commit root") != std::string::npos || line.find("scrub_enumerate_chunks") != std::string::npos ||
        line.find("devid 1") != std::string::npos)
    {
      ++rows;
      const size_t text = line.find_first_not_of(' ', gutter);
      CHECK(text >= gutter);
      CHECK(text <= gutter + 2);  // column 0, continuation rows indented by two
    }
  CHECK(rows >= 3);
}

TEST_CASE("wrap_text breaks at spaces, keeps every word, hard-breaks words longer than the width") {
  const std::string text = "scrub_enumerate_chunks: search the device tree commit root for bg 13631488";
  const auto lines = reports::wrap_text(text, 20);
  std::string joined;
  for (const auto& l : lines) {
    CHECK(l.size() <= 20);
    joined += (joined.empty() ? "" : " ") + l.substr(l.find_first_not_of(' '));
  }
  CHECK(joined == "scrub_enumerate_ chunks: search the device tree commit root for bg 13631488");
  CHECK(reports::wrap_text("short", 20) == std::vector<std::string>{"short"});
  // Without a space: after "->" or '(' (never before '(', never inside an identifier or "->").
  CHECK(reports::wrap_text("spin_lock(fs_info->buffer_lock)", 22) == std::vector<std::string>{"spin_lock(fs_info->", "  buffer_lock)"});
  CHECK(reports::wrap_text("btrfs_remove_chunk(chunk 277872640)", 20) ==
        std::vector<std::string>{"btrfs_remove_chunk(", "  chunk 277872640)"});
  const auto hard = reports::wrap_text(std::string(50, 'x'), 20);
  REQUIRE(hard.size() == 3);
  CHECK(hard[0] == std::string(20, 'x'));
  CHECK(hard[1] == "  " + std::string(18, 'x'));
}

TEST_CASE("a long execution shows its race window: preemptions marked, other stretches folded by thread") {
  sched::Execution ex;
  ex.fiber_names = {"scrub", "cleaner", "writer", "worker"};
  for (int i = 0; i < 200; ++i) ex.trace.push_back({2, sched::L("btrfs_commit_transaction(transid {})", 7)});
  ex.trace.push_back({0, sched::L("scrub_enumerate_chunks: found the dev extent of bg {} on devid {}", 13631488, 1)});  // 200
  ex.trace.push_back({1, sched::L("btrfs_remove_chunk(bg {})", 13631488)});  // 201: preempts scrub
  for (int i = 0; i < 100; ++i) ex.trace.push_back({1, sched::L("btrfs_remove_block_group(bg {})", 13631488)});
  ex.trace.push_back({0, sched::L("scrub_chunk(bg {})", 13631488)});  // 302: scrub comes back
  ex.finding = {sched::FindingKind::Violation, "scrub returned -EINVAL (-22) to user space", 0, 302};
  reports::diagram_options o;
  o.max_steps = 40;
  o.preemptions = {201};
  const std::string text = reports::render_diagram(ex, o);
  CHECK_THAT(text, Catch::Contains("~~ preempts scrub ~~"));
  CHECK_THAT(text, Catch::Contains("... 197 steps of writer"));
  CHECK_THAT(text, Catch::Contains("... 92 steps of cleaner"));
  CHECK_THAT(text, Catch::Contains("scrub_enumerate_chunks"));
  CHECK_THAT(text, Catch::Contains("=> 302"));
  // The worker took no step: no column, named under the header.
  CHECK_THAT(text, Catch::Contains("(no column: worker; no step among those drawn)"));
  CHECK(lines_of(text)[0].find("worker") == std::string::npos);
  // Fewer than max_steps: everything is shown, nothing folded.
  o.max_steps = 0;
  CHECK_THAT(reports::render_diagram(ex, o), !Catch::Contains("..."));
  // No footer when the caller prints the finding itself.
  o.footer = false;
  CHECK_THAT(reports::render_diagram(ex, o), !Catch::Contains("scrub returned -EINVAL"));
}

TEST_CASE("diagram columns widen to the longest word rather than break inside an identifier") {
  sched::Execution ex;
  ex.fiber_names = {"a", "b", "c", "d", "e"};
  for (sched::FiberId f = 0; f < 5; ++f) ex.trace.push_back({f, sched::Ls("spin_lock({})", "fs_info->unused_bgs_lock")});
  const std::string text = reports::render_diagram(ex);
  CHECK_THAT(text, Catch::Contains("(fs_info->unused_bgs_lock)"));
  CHECK_THAT(text, !Catch::Contains("unused_bgs_\n"));
}

TEST_CASE("findings not raised by a step (invariants, deadlock) are shown after the diagram") {
  auto ex = three_threads();
  ex.finding = {sched::FindingKind::Violation, "invariant fsck: extent 4096 has no backref", -1, 7};
  const auto text = reports::render_diagram(ex, {30, 100, 0, true});
  CHECK_THAT(text, Catch::Contains("*** violation after the last step: invariant fsck: extent 4096"));
  CHECK_THAT(text, !Catch::Contains("=>"));
  ex.finding = {sched::FindingKind::Deadlock, "deadlock: scrub waits on x", -1, 3};
  CHECK_THAT(reports::render_diagram(ex, {30, 100, 0, true}), Catch::Contains("*** deadlock at step 3"));
}

TEST_CASE("the default width fits the target width") {
  const auto lines = lines_of(reports::render_diagram(three_threads()));
  for (const auto& l : lines) CHECK(l.size() <= 120);
}

TEST_CASE("threads without a step shown are named once each, repeats counted") {
  CHECK(reports::count_names({"endio", "btrfs-endio-write", "endio", "btrfs-endio-write", "endio", "send"}) ==
        "endio x3, btrfs-endio-write x2, send");
  CHECK(reports::count_names({}) == "");
  sched::Execution ex;
  ex.fiber_names = {"send", "endio", "endio", "endio"};
  ex.trace.push_back({0, sched::L("btrfs_ioctl_send(send root {})", 257)});
  CHECK_THAT(reports::render_diagram(ex), Catch::Contains("(no column: endio x3; no step among those drawn)"));
}

TEST_CASE("wrap_text never breaks inside an identifier nor before '(' when the line can hold the identifier") {
  const std::vector<std::string> labels = {
      "spin_lock(fs_info->unused_bgs_lock)",
      "btrfs_remove_block_group(bg 277872640): remove_extent_mapping",
      "write(file=file002-long-name-long-name-long-name-long-name-long-name-end offset=0 length=4KiB seed=2001)",
      "scrub_enumerate_chunks: found the dev extent of bg 13631488 on devid 1",
      "wait_event(ordered 464 ino 259 complete)",
      "btrfs_ioctl_send(send root 257, parent root 256)",
      "mutex_unlock(fs_info->ordered_operations_mutex)",
      "scrub returned -EINVAL (-22) to user space",
  };
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (const auto& label : labels)
    for (size_t width = 28; width <= 60; width += 4) {  // wide enough for the longest identifier and its '(' ')'

      INFO(label << " at width " << width);
      const auto lines = reports::wrap_text(label, width);
      size_t at = 0;  // where the current piece starts in the label
      for (size_t k = 0; k < lines.size(); ++k) {
        CHECK(lines[k].size() <= width);
        const std::string piece = k ? lines[k].substr(2) : lines[k];
        REQUIRE_FALSE(piece.empty());
        while (at < label.size() && label[at] == ' ') ++at;
        REQUIRE(label.compare(at, piece.size(), piece) == 0);  // every character kept, in order
        CHECK(piece.front() != '(');                            // a name keeps its argument list
        if (k && label[at - 1] != ' ') {                        // a break not at a space:
          const char last = label[at - 1], first = label[at];
          CHECK_FALSE((ident(last) && ident(first)));  // never inside an identifier
          CHECK_FALSE((last == '-' && first == '>'));  // nor inside "->"
        }
        at += piece.size();
      }
      CHECK(at == label.size());
    }
}

TEST_CASE("a wide diagram draws the threads of the race and folds the others' steps") {
  // send, balance and writer race; five endio workers run a step each between them. With every thread a
  // column the diagram would be 8 columns wide.
  sched::Execution ex;
  ex.fiber_names = {"send", "balance", "writer", "endio", "endio", "endio", "endio", "endio"};
  auto add = [&](sched::FiberId f, int n, const char* what) {
    for (int i = 0; i < n; ++i) ex.trace.push_back({f, sched::Ls("{}", what)});
  };
  add(1, 3, "relocate_tree_blocks");      // 0..2
  add(2, 2, "btrfs_commit_transaction");  // 3..4: preempts balance
  add(3, 1, "bio_endio");                 // 5: preempts writer
  add(2, 1, "btrfs_commit_transaction");  // 6
  add(4, 1, "bio_endio");                 // 7: preempts writer
  add(2, 1, "wait_event");                // 8: writer waits
  for (sched::FiberId e = 5; e < 8; ++e) add(e, 1, "bio_endio");  // 9..11
  add(2, 1, "btrfs_end_transaction");     // 12
  add(0, 2, "btrfs_compare_trees");       // 13..14: preempts writer
  add(1, 1, "relocate_tree_blocks");      // 15
  add(0, 1, "receive");                   // 16
  ex.finding = {sched::FindingKind::Violation, "send stream differs from the snapshot", 0, 16};
  reports::diagram_options o;
  o.preemptions = {3, 5, 7, 13};
  const std::string text = reports::render_diagram(ex, o);
  const auto lines = lines_of(text);
  INFO(text);
  // Columns for send, balance and writer only; the workers are named once and their steps counted.
  CHECK(lines[0].find("send") != std::string::npos);
  CHECK(lines[0].find("balance") != std::string::npos);
  CHECK(lines[0].find("writer") != std::string::npos);
  CHECK(lines[0].find("endio") == std::string::npos);
  CHECK_THAT(text, Catch::Contains("(no column: endio x5; no step among those drawn)"));
  CHECK_THAT(text, Catch::Contains("... 1 step of endio (endio preempts writer)"));
  CHECK_THAT(text, Catch::Contains("... 3 steps of endio x3\n"));
  for (const auto& l : lines) CHECK(l.size() <= 120);
  CHECK_THAT(text, Catch::Contains("=> 16"));
  CHECK_THAT(text, Catch::Contains("~~ preempts balance ~~") && Catch::Contains("~~ preempts writer ~~"));
  // Wide enough for every thread: each gets its column.
  o.total_width = 300;
  const std::string wide = reports::render_diagram(ex, o);
  CHECK(lines_of(wide)[0].find("endio") != std::string::npos);
  CHECK_THAT(wide, !Catch::Contains("no column"));
}

TEST_CASE("race_lanes keeps the race's threads, then whole groups that fit") {
  // Threads 0..5; 0 preempts 1 at step 2; 2 preempts 0 at step 4; the finding is 3's step 6.
  const std::vector<uint32_t> thread_of = {1, 1, 0, 0, 2, 2, 3, 4, 5};
  const std::vector<reports::window_part> all = {{0, 9, false, {}}};
  CHECK(reports::race_lanes(thread_of, all, {2, 4}, 6, 6) == std::vector<bool>(6, true));  // everything fits
  // Preempted (1, 0) and the finding's thread (3); the preempting ones (0, 2) fit in 4 lanes, the rest not.
  CHECK(reports::race_lanes(thread_of, all, {2, 4}, 6, 4) == std::vector<bool>{true, true, true, true, false, false});
  CHECK(reports::race_lanes(thread_of, all, {2, 4}, 6, 3) == std::vector<bool>{true, true, false, true, false, false});
  // The race's threads are kept even beyond the limit.
  CHECK(reports::race_lanes(thread_of, all, {2, 4}, 6, 2) == std::vector<bool>{true, true, false, true, false, false});
  // Steps of threads without a lane fold, merged with the folds next to them.
  const auto parts = reports::fold_other_threads(thread_of, {{0, 5, false, {}}, {5, 7, true, {{2, 1}, {3, 1}}}, {7, 9, false, {}}},
                                                 {true, true, false, false, false, true});
  REQUIRE(parts.size() == 3);
  CHECK((!parts[0].folded && parts[0].first == 0 && parts[0].end == 4));
  CHECK((parts[1].folded && parts[1].first == 4 && parts[1].end == 8));
  CHECK(parts[1].threads == std::vector<std::pair<uint32_t, uint64_t>>{{2, 2}, {3, 1}, {4, 1}});
  CHECK((!parts[2].folded && parts[2].first == 8 && parts[2].end == 9));
  CHECK(reports::describe_fold(parts[1], {"a", "b", "endio", "endio", "worker"}) == "3 steps of endio x2, 1 of worker");
}

TEST_CASE("without preemptions the window fills its room with the switches between threads nearest the end") {
  // A race the default order shows (0 preemptions, an invariant after the last step): runs of 30 steps of
  // three threads in turn. The last steps alone would show one thread.
  std::vector<uint32_t> thread_of;
  for (int run = 0; run < 12; ++run)
    for (int i = 0; i < 30; ++i) thread_of.push_back(static_cast<uint32_t>(run % 3));
  const auto parts = reports::race_window(thread_of, {}, std::nullopt, {4, 40});
  size_t shown = 0;
  std::vector<bool> threads(3, false);
  for (const auto& p : parts)
    if (!p.folded) {
      shown += p.end - p.first;
      for (uint64_t i = p.first; i < p.end; ++i) threads[thread_of[i]] = true;
    }
  CHECK(shown <= 40);
  CHECK(shown >= 30);                                   // the room is used
  CHECK(threads == std::vector<bool>{true, true, true});  // every thread's switch near the end
  CHECK((!parts.back().folded && parts.back().end == thread_of.size()));  // the end is shown
}

TEST_CASE("without a preemption or a finding's step, the lowest thread ids get the lanes") {
  // Threads 0..2 are the scenario's, 3..5 kernel workers that ran last.
  const std::vector<uint32_t> thread_of = {0, 0, 1, 2, 3, 4, 5, 5};
  CHECK(reports::race_lanes(thread_of, {{0, 8, false, {}}}, {}, std::nullopt, 4) ==
        std::vector<bool>{true, true, true, true, false, false});
}
