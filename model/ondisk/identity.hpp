// What the model does not track but the on-disk format needs: the filesystem's uuids and the like.
// Fixed and derived from one constant seed, so an export is the same bytes every time (README:
// "On-disk images", the fillers).
#pragma once
#include <array>
#include <cstdint>
#include <map>

namespace fsrace::model::ondisk {

using uuid = std::array<uint8_t, 16>;

struct fs_identity {
  uint64_t seed = 0;  // what every uuid derives from
  uuid fsid{}, chunk_tree_uuid{};
  // An imported filesystem's own uuids (its dev items and root items), used before the derived ones.
  std::map<uint64_t, uuid> dev_uuids, subvol_uuids;
  uuid dev_uuid(uint64_t devid) const;      // btrfs_dev_item.uuid and btrfs_stripe.dev_uuid
  uuid subvol_uuid(uint64_t rootid) const;  // btrfs_root_item.uuid of a subvolume or snapshot
};

// The identity every export uses.
const fs_identity& fixed_identity();
// Another filesystem's identity (another fsid and uuids), for images that must not be taken for the same
// filesystem as another export attached at the same time (the btrfs check sample's loop devices).
fs_identity identity_for(uint64_t nonce);

}  // namespace fsrace::model::ondisk
