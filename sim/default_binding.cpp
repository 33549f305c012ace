// The binding of the command line. Until the model's mkfs lands, worlds are null_world: scenarios that
// use only core operations run; ops of model families report that the model is missing (tool error).
#include "sim/binding.hpp"
#include "sim/null_world.hpp"

namespace fsrace::sim {

const binding& default_binding() {
  static const binding b = [] {
    binding out;
    out.name = "core operations (the btrfs model is not bound yet)";
    register_all_ops(*out.cat);
    out.cat->seal();
    out.make_world = [](const filesystem_spec&) -> std::unique_ptr<world> { return std::make_unique<null_world>(); };
    return out;
  }();
  return b;
}

}  // namespace fsrace::sim
