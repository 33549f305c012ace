// replay --until's state print on a real race (scrub-vs-bg-deletion with its fix off): at every step, what it
// says holds a lock and who waits agrees with what each thread is doing. Locks are handed over FIFO on
// release, so a waiter owns a lock before it runs again: the print must say so rather than show the lock
// "held by" a thread whose next step reads as taking it.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shrink.hpp"
#include "sim/state_dump.hpp"

using namespace fsrace;

namespace {

struct thread_line {
  std::string state, text;
};

// "  scrub            woken     its wait in spin_lock(x) ended; ..." -> name: {state, rest}.
std::map<std::string, thread_line> threads_of(const std::string& state) {
  std::map<std::string, thread_line> out;
  std::istringstream in(state.substr(0, state.find("\n\n")));
  std::string line;
  std::getline(in, line);  // "threads:"
  const std::regex row(R"(  (\S+)\s+(runnable|woken|blocked|finished)\s*(.*))");
  for (std::smatch m; std::getline(in, line);)
    if (std::regex_match(line, m, row)) out[m[1]] = {m[2], m[3]};
  return out;
}

std::vector<std::string> lock_lines(const std::string& state) {
  std::vector<std::string> out;
  const auto at = state.find("locks held or waited on");
  REQUIRE(at != std::string::npos);
  std::istringstream in(state.substr(at));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("  ", 0) == 0) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("replay --until: every step's state says exactly who holds each lock and who waits") {
  auto sc = sim::load_scenario(FSRACE_SOURCE_DIR "/scenarios/scrub-vs-bg-deletion.json", *sim::default_binding().cat);
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  const sim::fix_setting off{false, {}};
  sim::explore_request req;
  req.settings = sc->explore;
  req.fixes = off;
  const auto e = sim::explore(prepared, req);
  REQUIRE(!e.violations.empty());
  // The execution as found and shrunk (the shrunk one has the cleaner contend for trans_lock with scrub).
  const sim::shrink_result shrunk =
      sim::shrink(prepared, e.violations.front().decisions, {off, req.settings.max_steps, 20000, 0, nullptr});
  size_t handed_over = 0, waited = 0;
  for (const auto* decisions_of : {&e.violations.front().decisions, &shrunk.decisions}) {
  const auto& decisions = *decisions_of;
  const sched::Execution ex = sim::rerun_marked(prepared, off, decisions, req.settings.max_steps).ex;
  REQUIRE(ex.trace.size() == decisions.size());
  for (uint64_t n = 0; n < decisions.size(); ++n) {
    const auto state = sim::state_before_step(prepared, off, decisions, decisions.size() + 1, n);
    REQUIRE(state);
    INFO("before step " << n << ":\n" << state->text);
    const auto threads = threads_of(state->text);
    REQUIRE(threads.size() == ex.fiber_names.size());
    // The thread about to run is runnable, or woken (its next step returns from its wait); `woken` agrees.
    const std::string next = ex.fiber_names[ex.trace[n].fiber];
    CHECK((threads.at(next).state == "runnable" || threads.at(next).state == "woken"));
    CHECK(state->woken.at(ex.trace[n].fiber) == (threads.at(next).state == "woken"));
    for (const auto& line : lock_lines(state->text)) {
      std::smatch m;
      // A holder that has not run since the lock was handed to it is woken, and the line says so.
      if (std::regex_search(line, m, std::regex(R"(held (?:for writing )?by ([^\s;]+))"))) {
        const bool note = line.find("(handed over while it waited; its next step returns from ") != std::string::npos;
        CHECK(note == (threads.at(m[1]).state == "woken"));
        handed_over += note;
        // Never "held by T" while T's next step reads as taking that same lock (the print before this fix).
        const std::string lock = line.substr(2, line.find(": held") - 2);  // "[root 4 (dev tree) ]NAME"
        std::smatch take;
        if (std::regex_match(threads.at(m[1]).text, take, std::regex(R"(next: (mutex_lock|spin_lock|down_read|down_write)\((.*)\))")))
        {
          const std::string arg = take[2];
          const bool same = lock.size() >= arg.size() && lock.compare(lock.size() - arg.size(), arg.size(), arg) == 0;
          CHECK_FALSE(same);
        }
      }
      // Everyone listed as waiting is blocked.
      const auto w = line.find("; waiting:");
      if (w != std::string::npos) {
        std::istringstream names(line.substr(w + 10));
        for (std::string who; names >> who;) {
          if (who.front() == '(') continue;  // "(write)" / "(read)"
          CHECK(threads.at(who).state == "blocked");
          ++waited;
        }
      }
    }
    // Every thread blocked in a lock operation is listed as waiting on a lock.
    for (const auto& [name, t] : threads)
      if (t.state == "blocked" && std::regex_search(t.text, std::regex("^waits in (mutex_lock|spin_lock|down_read|down_write)\\(")))
        CHECK(state->text.find(" " + name) != std::string::npos);
  }
  }
  // The race has lock contention: the checks above were exercised.
  CHECK(handed_over > 0);
  CHECK(waited > 0);
}
