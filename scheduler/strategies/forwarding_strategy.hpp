#pragma once
// A strategy that is another one plus something it observes: every call goes to `inner`, and a wrapper
// overrides only what it adds. One place forwards the whole interface, so that a new Strategy method
// (step_done, wants_footprints, ...) reaches the wrapped strategy through every wrapper.
#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

class ForwardingStrategy : public Strategy {
 public:
  explicit ForwardingStrategy(Strategy& inner) : inner_(inner) {}
  void begin(uint64_t seed) override { inner_.begin(seed); }
  size_t choose(const Decision& d) override { return inner_.choose(d); }
  void step_done(const Footprint& f) override { inner_.step_done(f); }
  bool wants_footprints() const override { return inner_.wants_footprints(); }
  void end(const Execution& ex) override { inner_.end(ex); }
  void no_runnable(uint64_t step, Scheduler& scheduler) override { inner_.no_runnable(step, scheduler); }
  void stopped(const Decision& d) override { inner_.stopped(d); }

 protected:
  Strategy& inner() { return inner_; }

 private:
  Strategy& inner_;
};

}  // namespace fsrace::sched
