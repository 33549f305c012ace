#pragma once
// A binding ties the scenario language to a world: the catalogue scenarios are validated against and
// the factory that builds the world a scenario's "filesystem" describes. The command line uses the
// model binding (btrfs); tests bind small worlds of their own.
#include <functional>
#include <memory>
#include <string>

#include "sim/catalogue.hpp"
#include "sim/scenario.hpp"  // op families read ctx.call() (op_call) and filesystem_spec
#include "sim/world.hpp"

namespace fsrace::sim {

/// Builds the world for a filesystem description; runs inside the setup fiber (mkfs reaches scheduling
/// points). Throws bad_filesystem for descriptions it cannot build.
using world_factory = std::function<std::unique_ptr<world>(const filesystem_spec&)>;

struct binding {
  std::string name;  // "btrfs model", shown by `fsrace list`
  std::unique_ptr<catalogue> cat = std::make_unique<catalogue>();
  world_factory make_world;
};

/// The binding of the command line: every op family of sim/ops/ (register_all_ops) over the btrfs model.
const binding& default_binding();

/// Registers every op family (sim/ops/registry.cpp).
void register_all_ops(catalogue&);
/// The scheduler-level family (sim/ops/core.cpp): needs no model.
void register_core_ops(catalogue&);

}  // namespace fsrace::sim
