// libFuzzer target: schedule files (`fsrace replay --schedule`) against a seed scenario, then the replay
// itself, which checks every step's whole label. Bad input must end as sim::input_error or a
// Divergence finding; anything else is a finding of the fuzzer.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"

using namespace fsrace;

namespace {
struct fixture {
  std::unique_ptr<sim::scenario> sc;
  std::unique_ptr<sim::prepared_scenario> prepared;
};
const fixture& the_fixture() {
  static const fixture f = [] {
    fixture out;
    const sim::binding& b = sim::default_binding();
    out.sc = sim::load_scenario(FSRACE_SCENARIO_DIR "/scrub-vs-bg-deletion.json", *b.cat);
    out.prepared = std::make_unique<sim::prepared_scenario>(*out.sc, b);
    return out;
  }();
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fixture& f = the_fixture();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const sim::schedule s =
        sim::parse_schedule(sim::parse_json_text(text, "fuzz.schedule.json", sim::result_file_limits("a schedule file")),
                            "fuzz.schedule.json", *f.sc);
    const sched::Execution ex = sim::replay_schedule(*f.prepared, s, std::max<uint64_t>(f.sc->explore.max_steps, s.decisions.size() + 1));
    if (ex.finding.kind == sched::FindingKind::ToolError) std::abort();  // a model bug reached by a replay
  } catch (const sim::input_error&) {
  }
  return 0;
}
