#pragma once
// The model's devices as btrfs image files (model/ondisk/ writes the bytes): `fsrace export` and the
// btrfs check sample. Only on export, never while exploring.
#include <cstdint>
#include <string>
#include <vector>

#include "model/fs_info.hpp"
#include "model/ondisk/identity.hpp"
#include "model/ondisk/image_reader.hpp"

namespace fsrace::sim {

/// Writes device `devid` of `fs` to `path` (atomically: a temporary file renamed over it), as large as
/// the device and sparse. Throws model::ondisk::unsupported (a state the export cannot write yet),
/// reports::output_path_error / std::runtime_error (the file cannot be written), std::logic_error (a
/// model state the export does not understand: a tool error).
/// `id`: null for the filesystem's own identity (model::ondisk::own_identity).
void write_device_image_file(const std::string& path, const model::btrfs_fs_info& fs, uint64_t devid,
                             const model::ondisk::fs_identity* id = nullptr);

/// Device image files to import (a scenario's "image"), read on demand. Throws bad_filesystem (sim/world.hpp)
/// naming the file when one cannot be opened; a read error later throws model::ondisk::malformed.
std::vector<model::ondisk::device_image_source> open_device_image_files(const std::vector<std::string>& paths);

}  // namespace fsrace::sim
