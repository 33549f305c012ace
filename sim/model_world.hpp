#pragma once
// The world of the command line: the btrfs model's filesystem. Copying it is the per-execution clone
// (copy-on-write over the frozen base), so an execution costs what it changes, not the filesystem's size.
#include <memory>
#include <optional>

#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "sim/model_state_bytes.hpp"
#include "sim/ops/subvolume_name.hpp"
#include "sim/world.hpp"

namespace fsrace::sim {

class model_world final : public world {
 public:
  explicit model_world(const model::btrfs_fs_info& fs) { fs_.emplace(fs); }
  explicit model_world(std::unique_ptr<model::btrfs_fs_info> fs) { fs_.emplace(*fs); }

  std::unique_ptr<world> clone() const override {
    auto copy = std::make_unique<model_world>(*fs_);
    copy->frozen_store_bytes_ = frozen_store_bytes_;
    return copy;
  }
  void reset_from(const world& prepared) override {
    const auto& from = static_cast<const model_world&>(prepared);
    fs_.reset();
    fs_.emplace(*from.fs_);
    frozen_store_bytes_ = from.frozen_store_bytes_;
  }
  void freeze() override {
    frozen_store_bytes_ += cow_store_delta_bytes(*fs_);  // the delta becomes the shared base
    model::freeze(*fs_);
  }
  uint64_t state_bytes() const override { return frozen_store_bytes_ + cow_store_delta_bytes(*fs_) + cache_bytes(*fs_); }
  std::string unfinished_setup() const override {
    if (fs_->running_transaction)
      return "the setup ends with a running transaction (model::freeze needs a committed filesystem); end "
             "filesystem.setup with {\"op\": \"sync\"}";
    return {};
  }
  bool has_named(const std::string& kind, const std::string& name) const override {
    if (kind == "subvolume") return subvol_by_name(*fs_, name) != 0;
    return kind == "file" && model::btrfs_lookup_name(*fs_, model::BTRFS_FS_TREE_OBJECTID, name) != 0;
  }
  void set_fixes(const model::fix_set& fixes) override { fs_->fixes = fixes; }
  model::btrfs_fs_info* fs() override { return &*fs_; }
  const model::btrfs_fs_info* fs() const override { return &*fs_; }

 private:
  std::optional<model::btrfs_fs_info> fs_;  // optional: btrfs_fs_info is copy-constructible, not assignable
  uint64_t frozen_store_bytes_ = 0;         // sectors and tree block images in the frozen base
};

}  // namespace fsrace::sim
