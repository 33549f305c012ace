// The HTML report without a browser: escaping, the summary table, swimlanes, trace records and their
// JSON round trip (the browser test is html_chromium_test.cpp).
#include <catch2/catch.hpp>

#include <regex>

#include "reports/html.hpp"
#include "reports/html_escape.hpp"
#include "reports/html_swimlanes.hpp"
#include "reports/json_report.hpp"
#include "reports/trace_record.hpp"

using namespace fsrace;

namespace {

sched::Execution scrub_race() {
  sched::Execution ex;
  ex.fiber_names = {"scrub", "cleaner"};
  ex.trace = {{0, sched::L("start scrub")},
              {1, sched::L("start cleaner")},
              {1, sched::L("btrfs_remove_chunk(bg {})", 13631488)},
              {0, sched::Ls("mutex_lock({})", "cleaner_mutex")},
              {0, sched::L("scrub_chunk(bg {})", 13631488)}};
  ex.finding = {sched::FindingKind::Violation, "scrub returned -EINVAL (-22) to user space", 0, 4};
  ex.steps = 5;
  return ex;
}

reports::case_result found_case() {
  reports::case_result c;
  c.scenario = "scrub-vs-bg-deletion";
  c.file = "scenarios/scrub-vs-bg-deletion.json";
  c.fixes = "off";
  c.expected = "violation violation containing \"-EINVAL\"";
  c.strategy = "pct depth 3";
  c.executions = 12;
  c.violating_executions = 1;
  reports::violation_entry v;
  v.kind = "violation";
  v.message = "scrub returned -EINVAL (-22) to user space";
  v.seed = 42;
  v.steps = 5;
  v.replay_command = "fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42 --strategy pct --depth 3 --fixes off";
  v.trace = reports::trace_of(scrub_race(), 0);
  c.violations.push_back(v);
  return c;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("html_escape leaves no markup and no control characters") {
  CHECK(reports::html_escape("<script>alert(\"x\" & 'y')</script>") ==
        "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  CHECK(reports::html_escape("a\x01" "b\tc\nd") == "a\xEF\xBF\xBD" "b\tc\nd");
  CHECK(reports::html_escape("btrfs_remove_chunk(bg 13631488)") == "btrfs_remove_chunk(bg 13631488)");
}

TEST_CASE("trace_of keeps the last steps with their threads and marks the violating one") {
  const auto ex = scrub_race();
  const auto all = reports::trace_of(ex, 0);
  CHECK(all.threads == std::vector<std::string>{"scrub", "cleaner"});
  CHECK(all.total_steps == 5);
  REQUIRE(all.steps.size() == 5);
  CHECK(all.steps[2].thread == 1);
  CHECK(all.steps[2].label == "btrfs_remove_chunk(bg 13631488)");
  REQUIRE(all.violating);
  CHECK(*all.violating == 4);
  const auto last = reports::trace_of(ex, 2);
  REQUIRE(last.steps.size() == 2);
  CHECK(last.steps.front().index == 3);
  auto deadlock = ex;
  deadlock.finding = {sched::FindingKind::Deadlock, "no thread can run", -1, 4};
  CHECK_FALSE(reports::trace_of(deadlock, 0).violating);
  auto other_fiber = ex;
  other_fiber.finding.fiber = 1;  // step 4 is scrub's: the finding does not name it
  CHECK_FALSE(reports::trace_of(other_fiber, 0).violating);
}

TEST_CASE("a label shows its kernel function apart from the typed objects it touches") {
  CHECK(reports::html_label("btrfs_remove_chunk(bg 13631488)") ==
        "<span class=\"fn\">btrfs_remove_chunk</span><span class=\"args\">(<wbr>bg <span class=\"obj\" "
        "data-obj=\"bg:13631488\" title=\"bg 13631488\">13631488</span>)</span>");
  const std::string lock = reports::html_label("mutex_lock(cleaner_mutex)");
  CHECK_THAT(lock, Catch::Contains("data-obj=\"lock:cleaner_mutex\""));
  CHECK_THAT(reports::html_label("wait_event(fs_info->transaction_wait)"), Catch::Contains("data-obj=\"wq:fs_info-&gt;transaction_wait\""));
  CHECK_THAT(reports::html_label("atomic_dec(block_group->reservations)"), Catch::Contains("data-obj=\"var:block_group-&gt;reservations\""));
  // The same number means different objects by the word before it; sizes and offsets are no objects.
  const std::string dev = reports::html_label("btrfs_free_dev_extent(devid 3, physical 3)");
  CHECK_THAT(dev, Catch::Contains("data-obj=\"devid:3\""));
  CHECK(count(dev, "class=\"obj\"") == 1);
  CHECK_THAT(reports::html_label("btrfs_compare_trees(send root 5, parent root 3)"), Catch::Contains("data-obj=\"root:3\""));
  // The model's "read_tree_block(BYTENR) of commit root TREE" (ctree.cpp, send_tree.cpp): a block of a tree.
  const std::string commit = reports::html_label("read_tree_block(30408704) of commit root 2");
  CHECK_THAT(commit, Catch::Contains("data-obj=\"bytenr:30408704\"") && Catch::Contains("data-obj=\"root:2\""));
  // Locks named with spaces are locks; exclusive operations too.
  CHECK_THAT(reports::html_label("down_write(btrfs_root->node lock)"), Catch::Contains("data-obj=\"lock:btrfs_root-&gt;node lock\""));
  CHECK_THAT(reports::html_label("up_read(btrfs_root->node lock)"), Catch::Contains("data-obj=\"lock:btrfs_root-&gt;node lock\""));
  CHECK_THAT(reports::html_label("btrfs_exclop_start(balance)"), Catch::Contains("data-obj=\"lock:balance\""));
  // "->" is shown unbreakable with a break allowed after it; the object's key keeps the plain text.
  CHECK_THAT(reports::html_label("mutex_lock(fs_info->ordered_operations_mutex)"),
             Catch::Contains("title=\"lock fs_info-&gt;ordered_operations_mutex\">fs_info<span class=\"nb\">-&gt;</span><wbr>"
                             "ordered_operations_mutex</span>"));
  // An item's objectid is typed by its tree: dev tree devids, fs tree inodes, root tree ids, extent tree
  // block groups (when the trace names the group) or extents; the chunk tree's are no objects.
  CHECK_THAT(reports::html_label("btrfs_del_item(root 4, objectid 3)"), Catch::Contains("data-obj=\"devid:3\""));
  CHECK_THAT(reports::html_label("btrfs_search_slot(cow, root 5, objectid 424)"), Catch::Contains("data-obj=\"inode:424\""));
  CHECK_THAT(reports::html_label("btrfs_insert_item(root 1, objectid 257)"), Catch::Contains("data-obj=\"root:257\""));
  CHECK_THAT(reports::html_label("create_pending_snapshot(source 5, objectid 257)"), Catch::Contains("data-obj=\"root:257\""));
  CHECK(count(reports::html_label("btrfs_update_item(root 3, objectid 1)"), "class=\"obj\"") == 1);  // root 3 only
  const std::set<std::string> bgs{"277872640"};
  CHECK_THAT(reports::html_label("btrfs_del_item(root 2, objectid 277872640)", &bgs), Catch::Contains("data-obj=\"bg:277872640\""));
  CHECK_THAT(reports::html_label("btrfs_del_item(root 2, objectid 277872640)"), Catch::Contains("data-obj=\"bytenr:277872640\""));
  // A bio: its logical address is the object, its length none.
  const std::string bio = reports::html_label("submit_bio(logical 112046080 len 4096)");
  CHECK_THAT(bio, Catch::Contains("data-obj=\"logical:112046080\""));
  CHECK(count(bio, "class=\"obj\"") == 1);
  CHECK_THAT(reports::html_label("btrfs_finish_ordered_io(ino 257 off 4096)"), Catch::Contains("data-obj=\"inode:257\""));
  CHECK(count(reports::html_label("btrfs_finish_ordered_io(ino 257 off 4096)"), "class=\"obj\"") == 1);
  CHECK(count(reports::html_label("find_free_extent(type 0x1, 16384 bytes)"), "class=\"obj\"") == 0);
  CHECK_THAT(reports::html_label("btrfs_commit_transaction(transid 7)"), Catch::Contains("data-obj=\"transid:7\""));
  // Digits inside identifiers are not objects; markup in a label is escaped.
  CHECK(count(reports::html_label("raid1c3_write<x>"), "class=\"obj\"") == 0);
  CHECK_THAT(reports::html_label("raid1c3_write<x>"), Catch::Contains("&lt;x&gt;"));
  CHECK(reports::html_label("yield") == "<span class=\"fn\">yield</span>");
  // A finding's message names typed objects the same way.
  CHECK(reports::typed_objects("scrub_enumerate_chunks: dev extent of bg 13631488 on devid 1 is gone (3 bytes)") ==
        std::vector<std::string>{"bg:13631488", "devid:1"});
  CHECK(reports::typed_objects("BUG_ON(extent_buffer_under_io(eb)) at eb_pages.cpp:12: extent buffer 9441280 freed while under IO "
                               "(io_pages 1, bflags 0)") == std::vector<std::string>{"bytenr:9441280"});
}

TEST_CASE("a long execution's lanes show its race window: folds counted by thread, preemptions marked, finding objects") {
  sched::Execution ex;
  ex.fiber_names = {"send", "balance", "writer", "idle"};
  for (int i = 0; i < 300; ++i) ex.trace.push_back({1, sched::L("relocate_tree_blocks(bytenr {} level {})", 1000 + i, 0)});
  ex.trace.push_back({0, sched::L("btrfs_compare_trees(send root {}, parent root {})", 257, 256)});  // 300: preempts balance
  for (int i = 0; i < 200; ++i) ex.trace.push_back({2, sched::L("btrfs_commit_transaction(transid {})", 9)});
  ex.trace.push_back({0, sched::L("read_tree_block({}) of commit root {}", 30408704, 257)});  // 501
  ex.finding = {sched::FindingKind::Violation, "send: parent transid verify failed on bytenr 30408704 in root 257", 0, 501};
  const auto t = reports::window_trace_of(ex, {300}, 40);
  CHECK(t.steps.size() <= 40);
  CHECK(t.total_steps == 502);
  REQUIRE(t.violating);
  CHECK(*t.violating == 501);
  CHECK(t.finding_objects == std::vector<std::string>{"bytenr:30408704", "root:257"});
  REQUIRE(!t.folds.empty());
  CHECK(t.folds.front().first == 0);
  CHECK(t.folds.front().threads == std::vector<std::pair<uint32_t, uint64_t>>{{1, 296}});
  const std::string html = reports::html_swimlanes(t, "violation: x");
  CHECK_THAT(html, Catch::Contains("&hellip; 296 steps of balance</td>"));
  CHECK_THAT(html, Catch::Contains("steps of writer"));
  CHECK_THAT(html, Catch::Contains("&#x21B7; preempts balance"));
  CHECK(count(html, "<tr class=\"switch preempt\">") + count(html, "<tr class=\"preempt\">") == 1);
  CHECK_THAT(html, Catch::Contains("data-finding=\"bytenr:30408704 root:257\""));
  // Every thread with a step shown keeps its lane; one without is named under the table.
  CHECK_THAT(html, Catch::Contains("<th class=\"lane t0\">send</th><th class=\"lane t1\">balance</th><th class=\"lane t2\">writer</th>"));
  CHECK_THAT(html, Catch::Contains("No lane: idle (no step among those drawn)."));
  // A JSON round trip keeps the window.
  const auto back = reports::trace_from_json(nlohmann::json::parse(reports::to_json(t).dump()), "");
  CHECK(reports::to_json(back) == reports::to_json(t));
}

TEST_CASE("swimlanes have a column per thread and a row per step with the violating step highlighted") {
  const auto t = reports::trace_of(scrub_race(), 0);
  const std::string html = reports::html_swimlanes(t, "violation: scrub returned -EINVAL <&>");
  CHECK_THAT(html, Catch::Contains("<th class=\"lane t0\">scrub</th><th class=\"lane t1\">cleaner</th>"));
  CHECK(count(html, "<tr") == 1 + 5);  // header and one row per step
  CHECK(count(html, "<td class=\"step ") == 5);
  // The violating row: step 4, in scrub's column (the first), with the escaped finding.
  const std::regex violating("<tr class=\"violating( switch)?\"><td class=\"n\">4</td><td class=\"step t0\">.*"
                             "<div class=\"finding\">violation: scrub returned -EINVAL &lt;&amp;&gt;</div></td><td></td></tr>");
  CHECK(std::regex_search(html, violating));
  CHECK(count(html, "class=\"violating") == 1);
  // Step 2 is the cleaner's: an empty cell first, then its step.
  CHECK_THAT(html, Catch::Contains("<td class=\"n\">2</td><td></td><td class=\"step t1\"><span class=\"fn\">btrfs_remove_chunk"));
  // Only the last steps: the omitted ones are counted.
  const std::string last = reports::html_swimlanes(reports::trace_of(scrub_race(), 2), "x");
  CHECK_THAT(last, Catch::Contains("3 earlier steps not kept"));
  // A thread without a step among those kept gets no lane, only a mention.
  CHECK_THAT(last, Catch::Contains("<th class=\"n\">step</th><th class=\"lane t0\">scrub</th></tr>"));
  CHECK_THAT(last, Catch::Contains("<p class=\"note\">No lane: cleaner (no step among those drawn).</p>"));
  // Many lanes scroll sideways, each wide enough for its labels; colours follow the thread.
  auto many = scrub_race();
  many.fiber_names = {"scrub", "cleaner", "endio", "endio", "endio", "endio", "endio", "writer"};
  for (sched::FiberId f = 2; f < 8; ++f) many.trace.push_back({f, sched::L("end_bio_extent_readpage")});
  const std::string wide = reports::html_swimlanes(reports::trace_of(many, 0), "x");
  CHECK_THAT(wide, Catch::StartsWith("<div class=\"lanes-scroll\"><table class=\"lanes\" style=\"min-width: 149em\">"));
  CHECK(count(wide, "<th class=\"lane ") == 8);
  CHECK_THAT(wide, Catch::Contains("<th class=\"lane t7\">writer</th>"));
  // Rows before the last `visible` are marked for folding; the violating step never is.
  const std::string folded = reports::html_swimlanes(t, "x", 2);
  CHECK(count(folded, "early") == 3);
  CHECK_THAT(folded, Catch::Contains("<tr class=\"switch early\"><td class=\"n\">1</td>"));
  CHECK(count(reports::html_swimlanes(t, "x", 0), "early") == 4);
  // A finding without a step is shown under the table.
  auto deadlock = scrub_race();
  deadlock.finding = {sched::FindingKind::Deadlock, "no thread can run", -1, 4};
  const std::string d = reports::html_swimlanes(reports::trace_of(deadlock, 0), "deadlock: no thread can run");
  CHECK(count(d, "class=\"violating") == 0);
  CHECK_THAT(d, Catch::Contains("<p class=\"finding after\">the execution ended: deadlock: no thread can run</p>"));
}

TEST_CASE("the page: summary row per case with its verdict and a section per violation") {
  reports::suite_result s;
  s.cases.push_back(found_case());
  reports::case_result clean = found_case();
  clean.fixes = "on";
  clean.expected = "clean";
  clean.violations.clear();
  clean.violating_executions = 0;
  s.cases.push_back(clean);
  reports::case_result failed = clean;
  failed.scenario = "evil<script>alert(1)</script>";
  failed.result = reports::case_result::status::fail;
  failed.reason = "expected clean, found \"x\"";
  s.cases.push_back(failed);
  reports::case_result explored = found_case();
  explored.expected = "";
  s.cases.push_back(explored);

  const std::string html = reports::render_html(s, {"from r.json"});
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Catch::EndsWith("</html>\n"));
  CHECK(count(html, "<tr class=\"case ") == 4);
  CHECK_THAT(html, Catch::Contains("<tr class=\"case pass\">"));  // clean as expected: no section
  CHECK_THAT(html, Catch::Contains("<tr class=\"case pass\" data-section=\"case-0\">"));
  CHECK_THAT(html, Catch::Contains("<tr class=\"case fail problem\" data-section=\"case-2\">"));
  CHECK_THAT(html, Catch::Contains("<tr class=\"case found problem\" data-section=\"case-3\">"));
  CHECK_THAT(html, Catch::Contains("<section class=\"case\" id=\"case-0\">"));
  CHECK_FALSE(html.find("id=\"case-1\"") != std::string::npos);
  CHECK_THAT(html, Catch::Contains("<code class=\"seed\">42</code>"));
  CHECK_THAT(html, Catch::Contains("<pre><code>fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42"));
  CHECK(count(html, "<table class=\"lanes\">") == 2);
  CHECK(count(html, "<details class=\"text\">") == 0);  // no text diagram in these results
  // Everything from the results is escaped: no injected element survives.
  CHECK(count(html, "<script>") == 1);  // the page's own script
  CHECK_THAT(html, Catch::Contains("evil&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Catch::Contains("expected clean, found &quot;x&quot;"));
  // Self-contained: nothing fetched.
  CHECK_FALSE(std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  CHECK_FALSE(html.find("<link") != std::string::npos);
  // Deterministic.
  CHECK(reports::render_html(s, {"from r.json"}) == html);
  // The text diagram, when the results have it, comes along for commit messages.
  s.cases[0].violations[0].diagram = "scrub      cleaner\n<x>\n";
  CHECK_THAT(reports::render_html(s), Catch::Contains("<summary>as text, for a commit message</summary><pre class=\"diagram\">scrub      cleaner\n&lt;x&gt;\n</pre>"));
}

TEST_CASE("a shrunk violation's page states the shrink once, with both replay commands") {
  reports::suite_result s;
  s.cases.push_back(found_case());
  auto& v = s.cases[0].violations[0];
  v.shrink_note = "shrunk from 9 preemptions, 311 steps to 2 preemptions, 157 steps in 388 executions, 1.0s";
  v.found_replay_command = v.replay_command;
  v.replay_command = "fsrace replay scenarios/scrub-vs-bg-deletion.json --switches 3:1 --fixes off";
  v.trace->note = "Drawn " + v.shrink_note + "; the seed's command replays it as found.";  // as sim::show_violation writes it
  const std::string html = reports::render_html(s);
  CHECK(count(html, "shrunk from 9 preemptions, 311 steps") == 1);
  CHECK_THAT(html, Catch::Contains("<pre><code>fsrace replay scenarios/scrub-vs-bg-deletion.json --switches 3:1 --fixes off</code>"));
  CHECK_THAT(html, Catch::Contains("As found (seed 42):</p>"));
  CHECK_THAT(html, Catch::Contains("<pre><code>fsrace replay scenarios/scrub-vs-bg-deletion.json --seed 42"));
  // A trace note that says something else is still shown.
  v.trace->note = "kept the last 2000 steps";
  CHECK_THAT(reports::render_html(s), Catch::Contains("<p class=\"note\">kept the last 2000 steps</p>"));
}

TEST_CASE("verdicts: as expected or not and explorations without an expectation") {
  auto c = found_case();
  CHECK(std::string(reports::verdict_of(c).cls) == "pass");
  c.result = reports::case_result::status::fail;
  CHECK(std::string(reports::verdict_of(c).cls) == "fail");
  CHECK(reports::verdict_of(c).problem);
  c.result = reports::case_result::status::error;
  CHECK(std::string(reports::verdict_of(c).cls) == "error");
  c = found_case();
  c.expected = "";
  CHECK(reports::verdict_of(c).text == "violation found");
  c.violations.clear();
  CHECK(reports::verdict_of(c).text == "clean");
  CHECK_FALSE(reports::verdict_of(c).problem);
}

TEST_CASE("traces and diagrams survive the JSON round trip") {
  reports::suite_result s;
  s.cases.push_back(found_case());
  s.cases.back().violations.back().diagram = "scrub  cleaner\n";
  const nlohmann::json j = reports::to_json(s);
  const auto& t = j["cases"][0]["violations"][0]["trace"];
  CHECK(t["threads"] == nlohmann::json({"scrub", "cleaner"}));
  CHECK(t["violating"] == 4);
  CHECK(t["steps"][2] == nlohmann::json({2, 1, "btrfs_remove_chunk(bg 13631488)"}));
  CHECK(j["cases"][0]["violations"][0]["diagram"] == "scrub  cleaner\n");
  const auto back = reports::suite_from_json(nlohmann::json::parse(j.dump()));
  CHECK(reports::to_json(back) == j);
  REQUIRE(back.cases[0].violations[0].trace);
  CHECK(back.cases[0].violations[0].trace->steps.size() == 5);
}

TEST_CASE("malformed results name the JSON path and what was expected") {
  reports::suite_result s;
  s.cases.push_back(found_case());
  const nlohmann::json good = reports::to_json(s);
  auto fails_with = [&](const char* pointer, const nlohmann::json& value, const std::string& path, const std::string& says) {
    nlohmann::json bad = good;
    bad[nlohmann::json::json_pointer(pointer)] = value;
    try {
      reports::suite_from_json(bad);
      FAIL("accepted " << pointer << " = " << value.dump());
    } catch (const reports::json_report_error& e) {
      CHECK(e.path() == path);
      CHECK_THAT(e.expectation(), Catch::Contains(says));
    }
  };
  fails_with("/cases/0/executions", "12", "/cases/0/executions", "expected an unsigned integer, got \"12\"");
  fails_with("/cases/0/status", "passed", "/cases/0/status", "\"pass\", \"fail\" or \"error\"");
  fails_with("/cases/0/violations/0/trace/steps/1", nlohmann::json::array({1, 7, "x"}), "/cases/0/violations/0/trace/steps/1/1",
             "thread index below 2");
  fails_with("/cases/0/violations/0/trace/steps/1", nlohmann::json::array({0, 1, "x"}), "/cases/0/violations/0/trace/steps/1/0",
             "in execution order");
  fails_with("/cases/0/violations/0/trace/steps/1", "x", "/cases/0/violations/0/trace/steps/1", "[step index, thread index");
  fails_with("/cases/0/violations/0/trace/violating", "4", "/cases/0/violations/0/trace/violating", "a step index or null");
  fails_with("/cases", nlohmann::json::object(), "/cases", "expected an array");
  nlohmann::json missing = good;
  missing["cases"][0]["violations"][0].erase("seed");
  CHECK_THROWS_WITH(reports::suite_from_json(missing), Catch::Contains("/cases/0/violations/0/seed: missing"));
}
