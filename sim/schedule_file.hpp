#pragma once
// Schedule files: one execution written down (the thread that ran each step and the step's label), so
// `fsrace replay --schedule FILE` re-runs it exactly and stops with a Divergence finding at the first step
// whose label differs (the model or the scenario changed since it was recorded).
//
//   {"fsrace_schedule": 1, "scenario": "scrub-vs-bg-deletion", "fixes": "off", "fix": {},
//    "threads": ["scrub", "cleaner"],
//    "finding": {"kind": "violation", "message": "..."},         (optional: what it showed when saved)
//    "origin": "pct depth 3 seed 123",                          (optional, informational)
//    "steps": [{"thread": "scrub", "label": "start scrub", "hash": "9f0c..."}, ...]}
// Replay compares each step's whole label; "hash" (sched::label_hash) is informational and optional.
// A step of a kernel worker the model spawned (end_io fibers: not a scenario thread, and several may share
// a name) also carries its fiber id, which spawning in a deterministic order gives: {"thread": "endio",
// "fiber": 4, ...}.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scheduler/scheduler.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {

struct schedule {
  std::string scenario;
  fix_setting fixes;
  std::vector<std::string> threads;
  std::vector<std::string> spawned;  // names of the fibers after the scenario's threads (kernel workers), by id
  std::vector<sched::FiberId> decisions;
  std::vector<uint64_t> label_hashes;
  std::vector<std::string> labels;
  std::optional<sched::Finding> finding;
  std::string origin;
};

/// The schedule of a recorded execution (it must have its trace).
schedule schedule_of(const scenario&, const fix_setting&, const sched::Execution&, std::string origin);
nlohmann::json to_json(const schedule&);
/// Validates a schedule file against the scenario it is replayed with; throws input_error naming the file,
/// the JSON path and what was expected.
schedule load_schedule(const std::string& file, const scenario& sc);
schedule parse_schedule(const nlohmann::json& doc, const std::string& file, const scenario& sc);

}  // namespace fsrace::sim
