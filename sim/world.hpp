#pragma once
// The state one execution runs on. sim is generic over it: the model binding's world is a
// model::btrfs_fs_info; tests use small worlds of their own. A world is built once per scenario (mkfs +
// setup, in one fiber), frozen, then copied for every execution, so set-up cost stays off the hot path.
#include <memory>
#include <stdexcept>
#include <string>

#include "model/fixes.hpp"

namespace fsrace::model {
struct btrfs_fs_info;
}

namespace fsrace::sim {

struct filesystem_spec;

class world {
 public:
  virtual ~world() = default;
  /// A new, independent copy (made once per explorer, then refreshed with reset_from).
  virtual std::unique_ptr<world> clone() const = 0;
  /// Become a copy of `prepared` again for the next execution; reuses memory where it can.
  virtual void reset_from(const world& prepared) = 0;
  /// Called once after the setup operations: the current state becomes the shared base of every copy.
  virtual void freeze() {}
  /// Why the state after the setup cannot be frozen (a mistake of the scenario, such as a transaction
  /// left running); empty when it can.
  virtual std::string unfinished_setup() const { return {}; }
  /// Bytes of model state held now (sim/model_state_bytes.hpp): deterministic, for the per-execution
  /// peak reported in --json and bounded by limits::kModelStateBytes. 0 for worlds that do not count.
  virtual uint64_t state_bytes() const { return 0; }
  /// Whether the state holds an object of `kind` ("file") named `name` that no operation created (a file
  /// of an imported image).
  virtual bool has_named(const std::string& kind, const std::string& name) const {
    (void)kind;
    (void)name;
    return false;
  }
  /// The fixes the model consults during this execution.
  virtual void set_fixes(const model::fix_set& fixes) = 0;
  /// The filesystem, for operation families of the model; nullptr for worlds that have none.
  virtual model::btrfs_fs_info* fs() { return nullptr; }
  virtual const model::btrfs_fs_info* fs() const { return nullptr; }
};

/// Thrown by a world factory for a filesystem description it cannot build (raid1 on one device,
/// a device too small): bad input, reported against /filesystem with exit code 2.
class bad_filesystem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fsrace::sim
