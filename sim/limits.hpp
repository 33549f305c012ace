#pragma once
// Limits on everything a user file can ask for (TigerBeetle style): validation refuses, naming the limit,
// what could not run within bounded memory and time. `fsrace list` and scenarios/README.md show them.
#include <cstdint>
#include <cstddef>

namespace fsrace::sim::limits {

// JSON input files.
inline constexpr size_t kScenarioFileBytes = 1 << 20;   // a scenario file (the seed scenarios are < 16 KiB)
inline constexpr size_t kResultFileBytes = 256 << 20;   // schedule files, --json results given to report/merge
inline constexpr size_t kJsonDepth = 64;                // nesting of arrays and objects
inline constexpr size_t kKeyBytes = 128;                // one object key
inline constexpr size_t kScenarioStringBytes = 4096;    // one string of a scenario
inline constexpr size_t kResultStringBytes = 16 << 20;  // one string of a result or schedule (kernel logs)

// Scenarios.
inline constexpr uint64_t kThreads = 64;                  // threads of a scenario, after "count"
inline constexpr uint64_t kRepeat = 100000;               // "repeat" of one operation
inline constexpr uint64_t kOpCalls = 1000000;             // operation calls of one execution (threads x ops x repeat)
inline constexpr uint64_t kSetupOpCalls = 1000000;        // operation calls of the setup (ops x repeat)
inline constexpr uint64_t kDataBytes = 256ULL << 20;      // data bytes the operations write, allocate or read
inline constexpr uint64_t kFileBytes = 256ULL << 20;      // file offset + data bytes of one call
inline constexpr uint64_t kDeviceBytes = 1ULL << 40;      // one device
inline constexpr uint64_t kMaxSteps = 10000000;           // "max_steps" of an execution
inline constexpr uint64_t kScheduleSteps = kMaxSteps;     // steps of a schedule file
inline constexpr uint64_t kModelStateBytes = 2ULL << 30;  // model state of one execution (sim/model_state_bytes.hpp)

/// Every limit with its name and meaning, for `fsrace list` and its --json.
struct limit_info {
  const char* name;
  uint64_t value;
  const char* what;
};
inline constexpr limit_info kAll[] = {
    {"scenario_file_bytes", kScenarioFileBytes, "bytes of a scenario file"},
    {"result_file_bytes", kResultFileBytes, "bytes of a schedule file or a --json result read by report and merge"},
    {"json_depth", kJsonDepth, "nesting of arrays and objects in any JSON input"},
    {"key_bytes", kKeyBytes, "bytes of one object key"},
    {"scenario_string_bytes", kScenarioStringBytes, "bytes of one string of a scenario"},
    {"result_string_bytes", kResultStringBytes, "bytes of one string of a schedule or result file"},
    {"threads", kThreads, "threads of a scenario, after \"count\""},
    {"repeat", kRepeat, "\"repeat\" of one operation"},
    {"op_calls", kOpCalls, "operation calls of one execution (threads x ops x repeat)"},
    {"setup_op_calls", kSetupOpCalls, "operation calls of the setup (ops x repeat)"},
    {"data_bytes", kDataBytes, "bytes the operations write, allocate or read in all (setup and threads, with repeat and count)"},
    {"file_bytes", kFileBytes, "file offset + bytes of one data operation"},
    {"device_bytes", kDeviceBytes, "size of one device"},
    {"max_steps", kMaxSteps, "steps of one execution (\"max_steps\", --max-steps) and of a schedule file"},
    {"model_state_bytes", kModelStateBytes, "bytes of model state one execution may hold (device sectors, tree blocks, page caches, fiber stacks): checked after every operation, more ends the execution as a tool error"},
};

}  // namespace fsrace::sim::limits
