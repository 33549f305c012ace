#pragma once
// The world of the command line: the btrfs model's filesystem. Copying it is the per-execution clone
// (copy-on-write over the frozen base), so an execution costs what it changes, not the filesystem's size.
#include <memory>
#include <optional>

#include "model/fs_info.hpp"
#include "sim/world.hpp"

namespace fsrace::sim {

class model_world final : public world {
 public:
  explicit model_world(const model::btrfs_fs_info& fs) { fs_.emplace(fs); }
  explicit model_world(std::unique_ptr<model::btrfs_fs_info> fs) { fs_.emplace(*fs); }

  std::unique_ptr<world> clone() const override { return std::make_unique<model_world>(*fs_); }
  void reset_from(const world& prepared) override {
    fs_.reset();
    fs_.emplace(*static_cast<const model_world&>(prepared).fs_);
  }
  void freeze() override { model::freeze(*fs_); }
  std::string unfinished_setup() const override {
    if (fs_->running_transaction)
      return "the setup ends with a running transaction (model::freeze needs a committed filesystem); end "
             "filesystem.setup with {\"op\": \"sync\"}";
    return {};
  }
  void set_fixes(const model::fix_set& fixes) override { fs_->fixes = fixes; }
  model::btrfs_fs_info* fs() override { return &*fs_; }
  const model::btrfs_fs_info* fs() const override { return &*fs_; }

 private:
  std::optional<model::btrfs_fs_info> fs_;  // optional: btrfs_fs_info is copy-constructible, not assignable
};

}  // namespace fsrace::sim
