#include "sim/footprint_check.hpp"

#include <cstring>
#include <memory>

#include "model/data/data_oracle.hpp"
#include "model/fs_info.hpp"
#include "scheduler/strategy.hpp"
#include "sim/explore.hpp"
#include "sim/search/search.hpp"
#include "sim/state_fingerprint.hpp"

namespace fsrace::sim {
namespace {

// The data oracle: what user space wrote and saw, which state_fingerprint leaves to the data invariants
// (file sizes, each sector's expected bytes, the operation that wrote it, whether it is durable). Two
// steps that both note an operation write the oracle (dependent), so a commuting swap keeps its order.
uint64_t oracle_fingerprint(const model::btrfs_fs_info* fs) {
  if (fs == nullptr) return 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  auto add = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ULL; };
  for (const auto& [id, file] : fs->oracle.files) {
    add(id.first);
    add(id.second);
    if (!file) continue;
    add(file->size);
    add(file->size_op);
    for (const auto& [index, sector] : file->sectors) {
      add(index);
      add(sector.op);
      add(sector.durable);
      if (!sector.data) continue;
      const auto& bytes = *sector.data;
      for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {  // a word at a time: the page size is a multiple of 8
        uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        add(word);
      }
    }
  }
  return h;
}

}  // namespace

sched::CommuteReport check_footprints(const prepared_scenario& prepared, const fix_setting& fixes, uint32_t pct_depth,
                                      uint64_t base_seed, uint64_t executions, size_t max_failures, uint64_t max_swaps,
                                      uint64_t max_steps) {
  executor exec(prepared, max_steps, true, true);  // traces and footprints: what DPOR would record
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  std::unique_ptr<sched::Strategy> sampler;
  if (pct_depth == 0) sampler = std::make_unique<sched::RandomStrategy>();
  else sampler = std::make_unique<sched::PctStrategy>(pct_depth, pct_estimate(exec));  // as explore's pct search
  return sched::check_commutes(
      [&exec](sched::Strategy& strategy, uint64_t seed, sched::Execution& out) {
        exec.run(strategy, seed, out);
        const model::btrfs_fs_info* fs = exec.current_world().fs();
        return state_fingerprint(fs) ^ (oracle_fingerprint(fs) * 0x9e3779b97f4a7c15ULL);
      },
      *sampler, base_seed, executions, max_failures, max_swaps);
}

}  // namespace fsrace::sim
