#pragma once
// A world without a filesystem: what scenarios made only of core operations run on.
#include "sim/world.hpp"

namespace fsrace::sim {

class null_world final : public world {
 public:
  std::unique_ptr<world> clone() const override { return std::make_unique<null_world>(*this); }
  void reset_from(const world&) override {}
  void set_fixes(const model::fix_set& f) override { fixes = f; }
  model::fix_set fixes;
};

}  // namespace fsrace::sim
