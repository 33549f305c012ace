#include "sim/world_at_step.hpp"

#include "sim/explore.hpp"

namespace fsrace::sim {
namespace {

// Follows `inner` and copies the world once `steps` steps have run (unset: once no thread can run).
class copy_after final : public sched::Strategy {
 public:
  copy_after(sched::Strategy& inner, std::optional<uint64_t> steps, const executor& exec) : inner_(inner), steps_(steps), exec_(exec) {}
  void begin(uint64_t seed) override { inner_.begin(seed); }
  size_t choose(const sched::Decision& d) override {
    if (steps_ && d.step == *steps_ && !copy) copy = exec_.current_world().clone();
    return inner_.choose(d);
  }
  void end(const sched::Execution& ex) override { inner_.end(ex); }
  void no_runnable(uint64_t step, sched::Scheduler& s) override {
    if (!copy && (!steps_ || *steps_ == step)) copy = exec_.current_world().clone();
    inner_.no_runnable(step, s);
  }
  void stopped(const sched::Decision& d) override { inner_.stopped(d); }
  std::unique_ptr<world> copy;

 private:
  sched::Strategy& inner_;
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
