// The committed state of the model's devices as btrfs image files: what a mount after a crash (or
// btrfs check) reads. Data sectors are written as they are, each tree block image in its on-disk bytes
// where the model's writeback put it (every mirror: each device holds what was written to it), and the
// super block copies from the last commit. Runs only on export, never while exploring.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/fs_info.hpp"
#include "model/ondisk/identity.hpp"
#include "model/ondisk/item_bytes.hpp"

namespace fsrace::model::ondisk {

// Throws unsupported, naming what, for a state the export cannot write yet.
void check_exportable(const btrfs_fs_info& fs);

// Receives the regions of one device image: `bytes` at `physical`, in increasing order, never
// overlapping; everything else reads as zeroes.
using region_sink = std::function<void(uint64_t physical, std::span<const uint8_t> bytes)>;
// `id`: the identity to write (null: the filesystem's own, own_identity). A tree block of an imported
// filesystem that nothing changed is written as the bytes it was read from, when `id` is the images' own.
void write_device_image(const btrfs_fs_info& fs, uint64_t devid, const region_sink& write,
                        const fs_identity* id = nullptr);

// The identity of the images the filesystem was imported from, or else the fixed one of every export.
const fs_identity& own_identity(const btrfs_fs_info& fs);

}  // namespace fsrace::model::ondisk
