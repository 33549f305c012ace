#include "model/ondisk/identity.hpp"

namespace fsrace::model::ondisk {
namespace {

constexpr uint64_t kSeed = 0x66737261636531ull;  // "fsrace1": changing it changes every exported image

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A random-looking (RFC 4122 version 4 shaped) uuid from (kind, n).
uuid derive(uint64_t seed, uint64_t kind, uint64_t n) {
  uuid u{};
  const uint64_t a = splitmix64(seed ^ splitmix64(kind) ^ n), b = splitmix64(a ^ kind);
  for (int i = 0; i < 8; ++i) {
    u[i] = uint8_t(a >> (8 * i));
    u[8 + i] = uint8_t(b >> (8 * i));
  }
  u[6] = uint8_t((u[6] & 0x0f) | 0x40);
  u[8] = uint8_t((u[8] & 0x3f) | 0x80);
  return u;
}

enum : uint64_t { kFsid = 1, kChunkTree = 2, kDevice = 3, kSubvol = 4 };

}  // namespace

uuid fs_identity::dev_uuid(uint64_t devid) const {
  auto it = dev_uuids.find(devid);
  return it != dev_uuids.end() ? it->second : derive(seed, kDevice, devid);
}
uuid fs_identity::subvol_uuid(uint64_t rootid) const {
  auto it = subvol_uuids.find(rootid);
  return it != subvol_uuids.end() ? it->second : derive(seed, kSubvol, rootid);
}

fs_identity identity_for(uint64_t nonce) {
  const uint64_t seed = nonce ? splitmix64(kSeed ^ splitmix64(nonce)) : kSeed;
  fs_identity id;
  id.seed = seed;
  id.fsid = derive(seed, kFsid, 0);
  id.chunk_tree_uuid = derive(seed, kChunkTree, 0);
  return id;
}

const fs_identity& fixed_identity() {
  static const fs_identity id = identity_for(0);
  return id;
}

}  // namespace fsrace::model::ondisk
