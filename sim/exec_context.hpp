#pragma once
// What an operation sees while it runs inside its thread's fiber: the execution's world (for model
// families: the btrfs_fs_info) and the state of the scenario thread running it.
#include <any>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "scheduler/sync/completion.hpp"
#include "sim/diagnostics.hpp"
#include "sim/world.hpp"

namespace fsrace::sim {

struct op_call;
struct scenario;

/// Per scenario thread, per execution (fresh for every execution).
struct thread_state {
  static constexpr uint32_t kSetup = ~0u;
  uint32_t index = kSetup;  // position in scenario.threads, or kSetup for the setup fiber
  std::string_view name;    // "setup" for the setup fiber
  /// Scratch space for op families (an open file, a transaction handle kept between ops, ...), keyed by a
  /// name the family chooses. Ordered map: never iterate address-keyed containers.
  std::map<std::string, std::any, std::less<>> locals;
};

/// Shared by the threads of one execution, whatever the world (fresh for every execution): the named
/// events of the core family's signal / wait operations.
struct execution_state {
  std::map<std::string, sched::Completion, std::less<>> events;
  /// The event named `name` (created on first use; `name` must outlive the execution: scenario strings do).
  sched::Completion& event(const std::string& name) {
    auto it = events.find(name);
    if (it == events.end()) it = events.emplace(name, sched::Completion(name.c_str())).first;
    return it->second;
  }
};

class exec_context {
 public:
  exec_context(world& w, thread_state& thread, const scenario& sc, execution_state& shared)
      : world_(&w), thread_(&thread), scenario_(&sc), shared_(&shared) {}

  /// The filesystem of this execution. Throws tool_error if the world has none (an op of the model used
  /// with a test world).
  model::btrfs_fs_info& fs() const {
    if (auto* f = world_->fs()) return *f;
    throw tool_error("this operation needs the btrfs model, but the execution's world has no filesystem");
  }
  world& the_world() const { return *world_; }
  /// The world as its concrete type (test families); tool_error when it is another type.
  template <class W>
  W& world_as() const {
    if (auto* w = dynamic_cast<W*>(world_)) return *w;
    throw tool_error("operation used with a world of another type");
  }
  thread_state& thread() const { return *thread_; }
  const scenario& the_scenario() const { return *scenario_; }
  execution_state& shared() const { return *shared_; }
  /// The operation being run (set by the runner before each call).
  const op_call& call() const { return *call_; }
  void set_call(const op_call* c) { call_ = c; }

 private:
  world* world_;
  thread_state* thread_;
  const scenario* scenario_;
  execution_state* shared_;
  const op_call* call_ = nullptr;
};

/// What an invariant sees: the world after every thread finished (outside any fiber: no scheduling points).
class check_context {
 public:
  check_context(const world& w, const scenario& sc) : world_(&w), scenario_(&sc) {}
  const model::btrfs_fs_info& fs() const {
    if (auto* f = world_->fs()) return *f;
    throw tool_error("this invariant needs the btrfs model, but the execution's world has no filesystem");
  }
  template <class W>
  const W& world_as() const {
    if (auto* w = dynamic_cast<const W*>(world_)) return *w;
    throw tool_error("invariant used with a world of another type");
  }
  const scenario& the_scenario() const { return *scenario_; }

 private:
  const world* world_;
  const scenario* scenario_;
};

}  // namespace fsrace::sim
