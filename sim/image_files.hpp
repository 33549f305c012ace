#pragma once
// The model's devices as btrfs image files (model/ondisk/ writes the bytes): `fsrace export` and the
// btrfs check sample. Only on export, never while exploring.
#include <cstdint>
#include <string>

#include "model/fs_info.hpp"
#include "model/ondisk/identity.hpp"

namespace fsrace::sim {

/// Writes device `devid` of `fs` to `path` (atomically: a temporary file renamed over it), as large as
/// the device and sparse. Throws model::ondisk::unsupported (a state the export cannot write yet),
/// reports::output_path_error / std::runtime_error (the file cannot be written), std::logic_error (a
/// model state the export does not understand: a tool error).
void write_device_image_file(const std::string& path, const model::btrfs_fs_info& fs, uint64_t devid,
                             const model::ondisk::fs_identity& id = model::ondisk::fixed_identity());

}  // namespace fsrace::sim
