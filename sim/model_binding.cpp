// The binding of the command line: every op family of sim/ops/ over the btrfs model, with the model's
// fsck as a default invariant.
#include <fmt/format.h>

#include "model/discard.hpp"
#include "model/maint/device_add.hpp"
#include "model/fsck.hpp"
#include "model/mkfs.hpp"
#include "model/ondisk/image_reader.hpp"
#include "model/ondisk/item_bytes.hpp"
#include "model/ondisk/le_reader.hpp"
#include "model/ondisk/open_ctree.hpp"
#include "sim/image_files.hpp"
#include "sim/binding.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {
namespace {

// The filesystem mounted with the scenario's options (the setup and the threads run under them), with its
// spare devices: the same for a made and an imported filesystem.
std::unique_ptr<world> mounted(std::unique_ptr<model::btrfs_fs_info> fs, const filesystem_spec& spec) {
  if (spec.discard) fs->mount_opt |= model::BTRFS_MOUNT_DISCARD_SYNC;
  if (spec.flushoncommit) fs->mount_opt |= model::BTRFS_MOUNT_FLUSHONCOMMIT;
  for (uint64_t size : spec.spare_devices) model::add_spare_block_device(*fs, size);
  return std::make_unique<model_world>(std::move(fs));
}

std::unique_ptr<world> make_model_world(const filesystem_spec& spec) {
  if (!spec.images.empty()) {
    try {
      auto fs = model::ondisk::btrfs_open_ctree(open_device_image_files(spec.images));
      return mounted(std::move(fs), spec);
    } catch (const model::ondisk::malformed& e) {
      throw bad_filesystem(fmt::format("image: not a filesystem the images hold: {}", e.what()));
    } catch (const model::ondisk::unsupported& e) {
      throw bad_filesystem(fmt::format("image: {} (README, On-disk images: what the import takes)", e.what()));
    }
  }
  model::mkfs_options opts;
  opts.device_sizes = spec.devices;
  opts.data_profile = spec.data_profile;
  opts.metadata_profile = spec.metadata_profile;
  opts.system_profile = spec.system_profile;
  opts.sectorsize = spec.sectorsize;
  opts.nodesize = spec.nodesize;
  try {
    auto fs = model::btrfs_mkfs(opts);
    return mounted(std::move(fs), spec);
  } catch (const model::bad_config& e) {
    throw bad_filesystem(e.what());
  }
}

}  // namespace

const binding& default_binding() {
  static const binding b = [] {
    binding out;
    out.name = "btrfs model";
    register_all_ops(*out.cat);
    out.cat->add_invariant("fsck", "model",
                           "btrfs check after every thread finished: cross-checks every tree (extent items against "
                           "references, block group used bytes, dev extents against chunks, every referenced address "
                           "mapped); each problem names the objects involved.",
                           [](const check_context& ctx, const params&) { return model::btrfs_check(ctx.fs()); })
        .on_by_default();
    out.cat->seal();
    out.make_world = make_model_world;
    return out;
  }();
  return b;
}

}  // namespace fsrace::sim
