// libFuzzer target: scenario loading and validation (JSON reading with its limits, every rule of the
// scenario language), then the set-up of small valid scenarios (mkfs + setup operations, the checks
// `fsrace validate` makes). Bad input must end as sim::input_error; any other exception, a crash, a
// timeout or memory over the limit is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sim::binding& b = sim::default_binding();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto sc = sim::parse_scenario(sim::parse_json_text(text, "fuzz.json"), "fuzz.json", *b.cat);
    // The set-up runs model code once per input: keep it to what a fuzzing iteration can afford.
    uint64_t setup_calls = 0;
    for (const auto& call : sc->filesystem.setup) setup_calls += call.repeat;
    if (setup_calls <= 64) sim::prepared_scenario prepared(*sc, b);
  } catch (const sim::input_error&) {
  }
  return 0;
}
