// The HTML report of a real violation, loaded in headless Chromium: what the page shows after its script
// ran (the DOM Chromium dumps), not just the bytes fsrace wrote. Chromium is required: CI installs it.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/reports/process.hpp"

using namespace fsrace::test;

namespace {

// Debian's package installs /usr/bin/chromium; FSRACE_CHROMIUM names another binary.
std::string chromium_binary() {
  if (const char* env = std::getenv("FSRACE_CHROMIUM")) return env;
  const auto r = run_shell("command -v chromium");
  return r.code == 0 ? r.out.substr(0, r.out.find('\n')) : std::string();
}

// The DOM after scripts ran, as Chromium serialises it.
std::string dump_dom(const std::string& chromium, const std::filesystem::path& page) {
  const std::string profile = (scratch_dir() / "chromium-profile").string();
  const auto r = run_shell("timeout 120 '" + chromium + "' --headless --disable-gpu --no-sandbox --user-data-dir='" + profile +
                           "' --virtual-time-budget=5000 --dump-dom 'file://" + page.string() + "'");
  REQUIRE(r.code == 0);
  return r.out;
}

// The text of the first element matching `open_tag_regex` up to its closing </tr>.
std::string row_matching(const std::string& dom, const std::string& open_tag_regex) {
  std::smatch m;
  REQUIRE(std::regex_search(dom, m, std::regex(open_tag_regex)));
  const size_t at = static_cast<size_t>(m.position(0));
  return dom.substr(at, dom.find("</tr>", at) - at);
}

}  // namespace

TEST_CASE("html report of scrub-vs-bg-deletion with fixes off as headless Chromium shows it") {
  const std::string chromium = chromium_binary();
  if (chromium.empty() || !std::filesystem::exists(chromium))
    FAIL("chromium not found: this test loads the HTML report in headless Chromium. Install Debian's chromium "
         "package (bash .ci/install-deps does) or set FSRACE_CHROMIUM to a Chromium binary.");
  const std::string scenario = FSRACE_SCENARIO_DIR "/scrub-vs-bg-deletion.json";
  auto r = run_shell(fsrace_cmd("explore '" + scenario + "' --fixes off --json > scrub.json"));
  REQUIRE(r.code == 1);  // the race is found
  r = run_shell(fsrace_cmd("report scrub.json --html scrub.html"));
  REQUIRE(r.code == 0);
  const std::string dom = dump_dom(chromium, scratch_dir() / "scrub.html");

  // The script ran to its end: it marks the body, adds the copy button and counts the cases shown.
  CHECK(std::regex_search(dom, std::regex("<body[^>]* data-ready=\"1\"")));
  CHECK_THAT(dom, Catch::Contains("<button class=\"copy\" type=\"button\">copy</button>"));
  CHECK_THAT(dom, Catch::Contains("<span id=\"shown\">1 of 1 case shown</span>"));

  // The summary row: scenario, fix setting, strategy, executions and coverage, violations, verdict.
  const std::string row = row_matching(dom, "<tr class=\"case found problem\"");
  CHECK_THAT(row, Catch::Contains(">scrub-vs-bg-deletion</a>"));
  CHECK_THAT(row, Catch::Contains("<td><code>off</code></td>"));
  CHECK_THAT(row, Catch::Contains("pct depth 3"));
  // Executions, with what they covered (a PCT run is a sample), then the one violation.
  CHECK(std::regex_search(row, std::regex("<td class=\"num\">([1-9][0-9]*)<div class=\"sub\">a sample of \\1 executions?</div></td>"
                                          "<td class=\"num\">1<div")));
  CHECK_THAT(row, Catch::Contains("<span class=\"badge found\">violation found</span>"));

  // Swimlanes: a column per thread, named after the scenario's threads.
  CHECK_THAT(dom, Catch::Contains("<th class=\"n\">step</th><th class=\"lane t0\">scrub</th><th class=\"lane t1\">cleaner</th>"));
  // The cleaner removes the block group scrub is working on; its kernel functions are in its column.
  CHECK(std::regex_search(dom, std::regex("<td></td><td class=\"step t1\"><span class=\"fn\">btrfs_remove_chunk</span>")));
  CHECK(std::regex_search(dom, std::regex("<td class=\"step t0\"><span class=\"fn\">scrub_chunk</span>")));
  // One highlighted step, in scrub's column, carrying the finding that reached user space.
  CHECK(std::regex_search(dom, std::regex("<tr class=\"violating")));
  CHECK_FALSE(std::regex_search(dom, std::regex("<tr class=\"violating[^]*<tr class=\"violating")));
  const std::string violating = row_matching(dom, "<tr class=\"violating[^\"]*\">");
  CHECK(std::regex_search(violating, std::regex("<td class=\"n\">[0-9]+</td><td class=\"step t0\">")));
  CHECK_THAT(violating, Catch::Contains("<div class=\"finding\">violation: scrub returned -EINVAL (-22) to user space"));

  // The shrunk race: its preemptions are marked; its command replays it by its switches.
  CHECK(std::regex_search(dom, std::regex("<div class=\"preempt-mark\"[^>]*>\u21b7 preempts (scrub|cleaner)</div>")));
  CHECK_THAT(dom, Catch::Contains("--switches "));

  // What replays it as found: the seed and the command.
  std::smatch seed;
  REQUIRE(std::regex_search(dom, seed, std::regex("<code class=\"seed\">([0-9]+)</code>")));
  CHECK_THAT(dom, Catch::Contains("--seed " + seed[1].str() + " --strategy pct --depth 3 --fixes off</code>"));
}

TEST_CASE("html report of send-vs-relocation with fixes off shows send, balance and writer around the race") {
  const std::string chromium = chromium_binary();
  if (chromium.empty() || !std::filesystem::exists(chromium))
    FAIL("chromium not found: this test loads the HTML report in headless Chromium (bash .ci/install-deps installs it).");
  const std::string scenario = FSRACE_SCENARIO_DIR "/send-vs-relocation.json";
  // The default exploration (PCT depth 4) from base seed 1 finds it at execution 98 (base seed 0 needs
  // 1,431 executions, 50 s, since btrfs_free_tree_block reuses blocks at once as 6.1); a small shrink
  // budget keeps the test short.
  auto r = run_shell(fsrace_cmd("explore '" + scenario + "' --fixes off --seed 1 --shrink-budget 200 --html send.html"));
  REQUIRE(r.code == 1);
  const std::string dom = dump_dom(chromium, scratch_dir() / "send.html");
  CHECK(std::regex_search(dom, std::regex("<body[^>]* data-ready=\"1\"")));
  // Every thread of the race keeps its lane around it, the rest of the 10,000 steps folded by thread.
  CHECK_THAT(dom, Catch::Contains("<th class=\"lane t0\">send</th><th class=\"lane t1\">balance</th><th class=\"lane t2\">writer</th>"));
  CHECK(std::regex_search(dom, std::regex("<td class=\"step t0\"><(div|span) class=\"(fn|preempt-mark)")));
  CHECK(std::regex_search(dom, std::regex("<td class=\"step t1\"><(div|span) class=\"(fn|preempt-mark)")));
  CHECK(std::regex_search(dom, std::regex("<td class=\"step t2\"><(div|span) class=\"(fn|preempt-mark)")));
  CHECK(std::regex_search(dom, std::regex("<tr class=\"folded\">.*steps of (send|balance|writer)")));
  CHECK(std::regex_search(dom, std::regex("preempts (send|balance|writer)")));
  // The finding: at its step, or (an invariant checked when the execution ended) after the last step.
  CHECK(std::regex_search(dom, std::regex("<tr class=\"violating|<p class=\"finding after\">the execution ended: violation: invariant "
                                          "received_matches_snapshot")));
  // At most the window's steps, not thousands of rows.
  size_t rows = 0;
  for (size_t at = dom.find("<td class=\"step "); at != std::string::npos; at = dom.find("<td class=\"step ", at + 1)) ++rows;
  CHECK(rows <= 160);
  CHECK(rows >= 10);
  // The shrink is stated once; locks and trees are typed objects.
  const std::regex shrunk_note("shrunk from [0-9]+ preemptions?");
  CHECK(std::distance(std::sregex_iterator(dom.begin(), dom.end(), shrunk_note), std::sregex_iterator()) == 1);
  CHECK(std::regex_search(dom, std::regex("data-obj=\"lock:btrfs_root-(&gt;|>)node lock\"")));
  CHECK(std::regex_search(dom, std::regex("data-obj=\"root:2\"")));

  // As found (9 preemptions among 13 threads, kernel workers preempting the writer): only the race's
  // threads get lanes, no worker among them (none has a step in the race's window); the workers' steps
  // are counted in the folds and the workers named once.
  r = run_shell(fsrace_cmd("explore '" + scenario + "' --fixes off --seed 1 --no-shrink --html send-found.html"));
  REQUIRE(r.code == 1);
  const std::string found = dump_dom(chromium, scratch_dir() / "send-found.html");
  CHECK_THAT(found, Catch::Contains("<th class=\"n\">step</th><th class=\"lane t0\">send</th><th class=\"lane t1\">balance</th>"
                                    "<th class=\"lane t2\">writer</th></tr>"));
  CHECK_THAT(found, Catch::Contains("No lane: endio x5, btrfs-endio-write x5 (no step among those drawn)"));
  CHECK(std::regex_search(found, std::regex("<tr class=\"folded preempt\">.*of endio.*\\(the first preempts writer\\)")));
}
