// Memory of one execution is measured and reported (explore --json "peak_execution_bytes"), and it
// follows what the scenario asks for: the limits of sim/limits.hpp bound it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/memory_meter.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;

namespace {

uint64_t peak_of_writing(const std::string& length) {
  const std::string text = R"({"name": "w", "title": "one writer",
    "filesystem": {"devices": ["1GiB"], "setup": [{"op": "create_file", "file": "f"}, {"op": "sync"}]},
    "threads": [{"name": "writer", "ops": [{"op": "write", "file": "f", "length": ")" + length + R"("}]}],
    "expectations": [{"fixes": "on", "result": "clean"}]})";
  const auto sc = sim::parse_scenario(sim::parse_json_text(text, "w.json"), "w.json", *sim::default_binding().cat);
  const sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::explore_request req;
  req.settings = sc->explore;
  req.settings.runs = 3;
  req.fixes.on = true;
  const sim::exploration e = sim::explore(prepared, req);
  REQUIRE(e.executions == 3);
  return e.peak_execution_bytes;
}

}  // namespace

TEST_CASE("the peak heap bytes of one execution are measured and follow the data written") {
  if (!sim::memory::metered()) {
    WARN("sanitizer build: the allocation functions belong to the sanitizer; not metered");
    return;
  }
  const uint64_t small = peak_of_writing("64KiB"), large = peak_of_writing("8MiB");
  INFO("64KiB write: " << small << " bytes, 8MiB write: " << large << " bytes");
  CHECK(small > 0);
  CHECK(large >= small + (8u << 20) - (64u << 10));  // the page cache holds the written data at least once
  CHECK(large < small + (64u << 20));                // and not many times over
}
