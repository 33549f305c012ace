#pragma once
// Splitting work across machines and putting it back together. An exploration of random or PCT is split
// into contiguous ranges of execution indexes (seed ranges); a suite (`fsrace run`) into its cases, case
// c going to shard c mod N. `fsrace merge` combines the shards' JSON results into exactly the result one
// machine would have produced (same executions, violations, seeds; only the timings differ).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/results.hpp"
#include "sim/explore.hpp"

namespace fsrace::sim {

struct shard_spec {
  uint64_t index = 0, count = 1;  // shard `index` of `count`, 0-based
  std::string describe() const { return std::to_string(index) + "/" + std::to_string(count); }
};

/// "K/N" (K from 0, e.g. a GitHub Actions matrix value), or "N" alone with K read from the environment:
/// JOB_COMPLETION_INDEX (Kubernetes Indexed Job), else SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN
/// (Slurm job array). `getenv` is injectable for tests. Throws input_error naming --shard.
shard_spec parse_shard(const std::string& text, const std::function<const char*(const char*)>& getenv);

/// Execution indexes [first, end) of a shard of `runs` executions: contiguous, balanced, covering all.
std::pair<uint64_t, uint64_t> shard_range(uint64_t runs, const shard_spec&);
/// Whether case `ordinal` of a suite belongs to the shard.
inline bool shard_owns_case(uint64_t ordinal, const shard_spec& s) { return ordinal % s.count == s.index; }

/// The JSON of one exploration (what `fsrace explore --json` prints, and what merge reads).
nlohmann::json exploration_json(const scenario&, const exploration&, bool keep_going, const std::optional<shard_spec>&,
                                double seconds);
/// Merges the JSON results of every shard of one exploration (files name them in messages). Throws
/// input_error when they do not belong together (another scenario or setting, a shard missing or twice).
nlohmann::json merge_explorations(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files);
/// Merges suite results (`fsrace run --json`) of every shard, cases back in their original order.
reports::suite_result merge_suites(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files);

}  // namespace fsrace::sim
