// The fiemap operation through the scenario language: FIEMAP racing writes, writeback, ordered extent
// completion, clones and truncates keeps fiemap_matches_file clean under random schedules; a stated
// `expect` that differs is a violation naming both answers.
#include <catch2/catch.hpp>

#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"
#include "tests/model/scenario_explore.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

// a: 64 KiB of data; b: a 128 KiB prealloc extent; both committed. `extra_setup` follows the sync.
std::unique_ptr<sim::scenario> fiemap_scenario(const std::string& name, const json& threads,
                                               const json& extra_setup = json::array()) {
  json setup = {{{"op", "create_file"}, {"file", "a"}, {"size", "64KiB"}, {"seed", 1}},
                {{"op", "create_file"}, {"file", "b"}},
                {{"op", "fallocate"}, {"file", "b"}, {"length", "128KiB"}},
                {{"op", "sync"}}};
  for (const json& op : extra_setup) setup.push_back(op);
  json doc = {{"name", name},
              {"title", "fiemap ops"},
              {"filesystem",
               {{"devices", {"1GiB"}},
                {"profiles", {{"data", "single"}, {"metadata", "dup"}, {"system", "dup"}}},
                {"setup", setup}}},
              {"threads", threads},
              {"invariants", {"user_errors", "fsck", "data_matches_oracle", "fiemap_matches_file"}},
              {"expectations", {{{"fixes", "on"}, {"result", "clean"}}}}};
  return sim::parse_scenario(doc, name + ".json", *sim::default_binding().cat);
}

// The scenario's own settings (its preemption bound among them) with every fix on.
sim::exploration run(const sim::scenario& sc, sim::strategy_kind strategy, uint64_t runs) {
  return test::explore_scenario(sc, true, {}, strategy, sc.explore.preemptions, runs);
}

}  // namespace

TEST_CASE("fiemap scenario: FIEMAP racing writes, writeback, clones and truncates agrees with the file",
          "[fiemap][sim]") {
  const json threads = {
      {{"name", "writer"},
       {"ops",
        {{{"op", "write"}, {"file", "b"}, {"offset", "16KiB"}, {"length", "8KiB"}, {"seed", 3}},
         {{"op", "writeback"}, {"file", "b"}},
         {{"op", "clone"}, {"src", "a"}, {"dst", "b"}, {"dst_offset", "64KiB"}, {"length", "16KiB"}},
         {{"op", "truncate"}, {"file", "a"}, {"size", "8KiB"}}}}},
      {{"name", "mapper"},
       {"ops",
        {{{"op", "fiemap"}, {"file", "b"}},
         {{"op", "fiemap"}, {"file", "a"}},
         {{"op", "fiemap"}, {"file", "b"}, {"offset", "60KiB"}, {"length", "8KiB"}},
         {{"op", "fiemap"}, {"file", "b"}, {"sync", true}}}}},
      {{"name", "flusher"}, {"ops", {{{"op", "flush_delalloc"}}, {{"op", "wait_ordered"}}}}}};
  auto sc = fiemap_scenario("fiemap-ops", threads);
  const sim::exploration e = run(*sc, sim::strategy_kind::random, 300);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.executions == 300);
}

// Every interleaving at preemption bound 1 of FIEMAP with writeback (ordered extents created and completed
// in their own fibers) into a prealloc extent and a clone into it: no deadlock, fsck, oracle and
// fiemap_matches_file clean (bound 2: 60,383 executions, clean, in about 10 s).
TEST_CASE("fiemap scenario: DFS bound 1 exhausted clean against writeback into prealloc and a clone",
          "[fiemap][sim]") {
  const json threads = {
      {{"name", "writer"},
       {"ops",
        {{{"op", "writeback"}, {"file", "b"}},
         {{"op", "clone"}, {"src", "a"}, {"dst", "b"}, {"dst_offset", "64KiB"}, {"length", "16KiB"}}}}},
      {{"name", "mapper"}, {"ops", {{{"op", "fiemap"}, {"file", "b"}}, {{"op", "fiemap"}, {"file", "a"}}}}}};
  const json delalloc = {{{"op", "write"}, {"file", "b"}, {"offset", "16KiB"}, {"length", "8KiB"}, {"seed", 3}}};
  auto sc = fiemap_scenario("fiemap-dfs", threads, delalloc);
  sc->explore.preemptions = 1;
  const sim::exploration e = run(*sc, sim::strategy_kind::dfs, 100000);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.exhausted);
  CHECK(e.executions == 1029);
}

TEST_CASE("fiemap scenario: an expect that differs from the answer is a violation with both answers",
          "[fiemap][sim]") {
  const json threads = {
      {{"name", "mapper"},
       {"ops",
        {{{"op", "fiemap"}, {"file", "b"}, {"expect", "0+128KiB unwritten,last"}},
         {{"op", "fiemap"}, {"file", "a"}, {"expect", "0+64KiB"}}}}}};
  auto sc = fiemap_scenario("fiemap-ops", threads);
  const sim::exploration e = run(*sc, sim::strategy_kind::random, 1);
  REQUIRE(e.violations.size() == 1);
  const std::string& m = e.violations[0].finding.message;
  INFO(m);
  // b's answer was as stated; a's single extent carries LAST, which the expectation left out.
  CHECK(m.find("fiemap of file a") != std::string::npos);
  CHECK(m.find("returned [0+65536 last]") != std::string::npos);
  CHECK(m.find("expected [0+65536]") != std::string::npos);
}
