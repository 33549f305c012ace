#include "scheduler/footprint.hpp"

#include <fmt/format.h>

namespace fsrace::sched {
namespace {

constexpr const char* kKindNames[] = {"Lock",      "Inode",       "Tree",        "BlockGroup", "Bytenr",
                                      "Device",    "DeviceData",  "Counter",     "List",       "Other",
                                      "Transaction", "DelayedRefs", "SpaceInfo", "ChunkMap",   "Relocation",
                                      "Balance",   "Scrub",       "Replace",     "UnusedBgs",  "Oracle",
                                      "Send"};
static_assert(sizeof(kKindNames) / sizeof(kKindNames[0]) == static_cast<size_t>(ObjectKind::kCount));

std::string bit_name(unsigned bit) {
  for (size_t k = 0; k < static_cast<size_t>(ObjectKind::kCount); ++k) {
    const KindBits kb = kind_bits(static_cast<ObjectKind>(k));
    if (bit >= kb.base && bit < kb.base + kb.width)
      return kb.width == 1 ? kKindNames[k] : fmt::format("{}.{}", kKindNames[k], bit - kb.base);
  }
  return fmt::format("bit{}", bit);  // a bit no kind owns (none touches it)
}

void append_bits(std::string& out, const ObjectMask& m) {
  m.for_each([&](unsigned b) { out += " " + bit_name(b); });
}

}  // namespace

std::string describe(const Footprint& f) {
  if (f.everything()) return "everything";
  if (f.empty()) return "nothing";
  std::string out;
  if (f.writes.any()) {
    out += "W";
    append_bits(out, f.writes);
  }
  const ObjectMask only_read = f.reads & ~f.writes;
  if (only_read.any()) {
    out += out.empty() ? "R" : " R";
    append_bits(out, only_read);
  }
  const ObjectMask only_updated = f.updates & ~f.writes;
  if (only_updated.any()) {
    out += out.empty() ? "U" : " U";
    append_bits(out, only_updated);
  }
  return out;
}

}  // namespace fsrace::sched
