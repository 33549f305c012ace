#pragma once
// A tiny world for sim tests: one shared counter, incremented non-atomically unless a fix is on, so two
// threads lose an update in some interleavings. Plus ops that fail in each of the ways the runner must
// tell apart (user errno, BUG, ASSERT, a model self-check, C++ exception).
#include <cerrno>
#include <stdexcept>

#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/mutex.hpp"
#include "sim/binding.hpp"
#include "sim/scenario.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::test {

// The fix that makes "inc" atomic (any real id of the model's catalogue will do).
inline constexpr const char* kCounterFix = "020d5b7366fc";

struct counter_world final : sim::world {
  int64_t counter = 0;
  model::fix_set fixes;
  sched::Mutex lock{"counter_lock"};
  std::unique_ptr<sim::world> clone() const override { return std::make_unique<counter_world>(*this); }
  void reset_from(const sim::world& w) override {
    const auto& prepared = static_cast<const counter_world&>(w);
    counter = prepared.counter;
    lock = prepared.lock;  // a copy is a fresh, unlocked mutex: an execution may have ended holding it
  }
  void set_fixes(const model::fix_set& f) override { fixes = f; }
};

inline void register_test_ops(sim::catalogue& cat) {
  cat.add_op("inc", "test", "counter += by, as a load and a store (atomic under the counter fix)",
             [](sim::exec_context& ctx, const sim::params& p) {
               auto& w = ctx.world_as<counter_world>();
               const bool atomic = w.fixes.has(kCounterFix);
               if (atomic) w.lock.lock();
               sched::point(sched::L("load counter"));
               const int64_t v = w.counter;
               sched::point(sched::L("store counter = {}", static_cast<uint64_t>(v + p.integer("by"))));
               w.counter = v + p.integer("by");
               if (atomic) w.lock.unlock();
               return 0;
             })
      .integer("by", "amount added").optional(1).range(1, 100);
  cat.add_op("set", "test", "counter = value", [](sim::exec_context& ctx, const sim::params& p) {
       ctx.world_as<counter_world>().counter = p.integer("value");
       return 0;
     })
      .integer("value", "new value")
      .scope(sim::op_scope::setup_only);
  cat.add_op("ret", "test", "returns -errno to user space", [](sim::exec_context&, const sim::params& p) {
       sched::point(sched::L("about to return"));
       return static_cast<int>(-p.integer("errno"));
     })
      .integer("errno", "positive errno value").range(0, 200);
  cat.add_op("bug_if", "test", "BUG_ON(counter == value)", [](sim::exec_context& ctx, const sim::params& p) {
       sched::point(sched::L("check counter"));
       FSRACE_BUG_ON(ctx.world_as<counter_world>().counter == p.integer("value"), "counter is {}", p.integer("value"));
       return 0;
     })
      .integer("value", "the value that is a bug");
  cat.add_op("assert_if", "test", "a kernel ASSERT(counter != value): a finding of kind ASSERT",
             [](sim::exec_context& ctx, const sim::params& p) {
               sched::point(sched::L("check counter"));
               FSRACE_ASSERT(ctx.world_as<counter_world>().counter != p.integer("value"), "counter is {}",
                             p.integer("value"));
               return 0;
             })
      .integer("value", "the value that fails the assertion");
  cat.add_op("model_check_if", "test", "a model self-check (counter != value) that fails: a tool error",
             [](sim::exec_context& ctx, const sim::params& p) {
               sched::point(sched::L("check counter"));
               FSRACE_MODEL_CHECK(ctx.world_as<counter_world>().counter != p.integer("value"), "counter is {}",
                                  p.integer("value"));
               return 0;
             })
      .integer("value", "the value that fails the self-check");
  cat.add_op("throw", "test", "a C++ exception escaping the model (a tool error)", [](sim::exec_context&, const sim::params&) -> int {
    sched::point(sched::L("about to throw"));
    throw std::runtime_error("model state is inconsistent");
  });
  cat.add_op("touch", "test", "uses every parameter type", [](sim::exec_context&, const sim::params&) { return 0; })
      .size("length", "bytes").optional("4KiB").align(4096)
      .flag("nocow", "nodatacow").optional(false)
      .choice("mode", {"buffered", "direct"}, "IO mode").optional("buffered")
      .device("dev", "device").optional(0)
      .string("note", "free text").optional("");
  cat.add_op("create", "test", "defines a file", [](sim::exec_context&, const sim::params&) { return 0; })
      .defines("file", "file", "file name");
  cat.add_op("use", "test", "refers to a file", [](sim::exec_context&, const sim::params&) { return 0; })
      .ref("file", "file", "file name");
  cat.add_invariant("counter_is", "test", "the counter ends at `value`",
                    [](const sim::check_context& ctx, const sim::params& p) {
                      std::vector<std::string> problems;
                      const int64_t got = ctx.world_as<counter_world>().counter;
                      if (got != p.integer("value"))
                        problems.push_back(fmt::format("counter is {}, expected {}", got, p.integer("value")));
                      return problems;
                    })
      .integer("value", "expected final value");
}

/// Core family + test family over counter_world. More than 4 devices is a filesystem the factory
/// refuses (to test bad_filesystem).
inline const sim::binding& test_binding() {
  static const sim::binding b = [] {
    sim::binding out;
    out.name = "test counter world";
    sim::register_core_ops(*out.cat);
    register_test_ops(*out.cat);
    out.cat->seal();
    out.make_world = [](const sim::filesystem_spec& fs) -> std::unique_ptr<sim::world> {
      if (fs.devices.size() > 4) throw sim::bad_filesystem("the counter world supports at most 4 devices");
      return std::make_unique<counter_world>();
    };
    return out;
  }();
  return b;
}

/// A valid scenario: two threads increment the counter once each; the counter must end at 2.
inline const char* kCounterScenario = R"({
  "name": "counter-race",
  "title": "two non-atomic increments lose an update",
  "references": {"commits": ["020d5b7366fc"], "fstests": ["btrfs/071"], "links": ["https://example.org/x"]},
  "filesystem": {"devices": ["1GiB"], "setup": [{"op": "set", "value": 0}]},
  "threads": [
    {"name": "a", "ops": [{"op": "inc"}]},
    {"name": "b", "ops": [{"op": "inc", "by": 1}]}
  ],
  "fixes": ["020d5b7366fc"],
  "invariants": ["user_errors", {"name": "counter_is", "value": 2}],
  "explore": {"strategy": "pct", "runs": 500, "depth": 2, "seed": 7},
  "expectations": [
    {"fixes": "off", "result": "violation", "kind": "violation", "message_contains": "counter is 1"},
    {"fixes": "on", "result": "clean", "explore": {"strategy": "dfs", "preemptions": 3}}
  ]
})";

/// Three threads (a, b: two increments each; c: one increment, then BUG_ON(counter == 3)) whose counter
/// must end at 5: enough interleavings for the search, sharding and coverage tests to tell results apart.
inline std::unique_ptr<sim::scenario> counter3() {
  nlohmann::json j = nlohmann::json::parse(kCounterScenario);
  j["threads"] = nlohmann::json::parse(R"([
    {"name": "a", "ops": [{"op": "inc", "repeat": 2}]},
    {"name": "b", "ops": [{"op": "inc", "repeat": 2}]},
    {"name": "c", "ops": [{"op": "inc"}, {"op": "bug_if", "value": 3}]}])");
  j["invariants"] = nlohmann::json::parse(R"(["user_errors", {"name": "counter_is", "value": 5}])");
  return sim::parse_scenario(j, "counter3.json", *test_binding().cat);
}

}  // namespace fsrace::test
