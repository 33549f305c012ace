#include "sim/world_at_step.hpp"

#include "sim/explore.hpp"
#include "scheduler/strategies/forwarding_strategy.hpp"

namespace fsrace::sim {
namespace {

// Follows `inner` and copies the world once `steps` steps have run (unset: once no thread can run).
class copy_after final : public sched::ForwardingStrategy {
 public:
  copy_after(sched::Strategy& inner, std::optional<uint64_t> steps, const executor& exec)
      : ForwardingStrategy(inner), steps_(steps), exec_(exec) {}
  size_t choose(const sched::Decision& d) override {
    if (steps_ && d.step == *steps_ && !copy) copy = exec_.current_world().clone();
    return inner().choose(d);
  }
  void no_runnable(uint64_t step, sched::Scheduler& s) override {
    if (!copy && (!steps_ || *steps_ == step)) copy = exec_.current_world().clone();
    inner().no_runnable(step, s);
  }
  std::unique_ptr<world> copy;

 private:
  std::optional<uint64_t> steps_;
  const executor& exec_;
};

}  // namespace

world_snapshot world_after_step(const prepared_scenario& prepared, const fix_setting& fixes, const std::vector<sched::FiberId>& decisions,
                                uint64_t max_steps, std::optional<uint64_t> after_step) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  decision_follower follow(decisions);
  const std::optional<uint64_t> steps = after_step ? std::optional<uint64_t>(*after_step + 1) : std::nullopt;
  copy_after at(follow, steps, exec);
  world_snapshot out;
  exec.run(at, 0, out.ex);
  out.state = std::move(at.copy);
  // Ended at a finding in a thread (the others were unwound): that is its end, and its last step's state.
  if (!out.state && (!steps || *steps == out.ex.trace.size())) out.state = exec.current_world().clone();
  return out;
}

}  // namespace fsrace::sim
