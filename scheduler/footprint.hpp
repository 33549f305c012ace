#pragma once
// What a step touches, declared at its scheduling point, for partial-order reduction (the dpor strategy).
// A step is everything a fiber does from one scheduling point to its next one. Two steps are
// independent only when both declared their objects and no object is written by one and touched by the
// other; a step that declares nothing (a plain point()) is dependent on every other step, so forgetting
// a declaration costs search time, never soundness. Declare an object only when the WHOLE step, up to
// the fiber's next point, touches nothing else that another thread can observe.
#include <cstdint>

#include "scheduler/scheduler.hpp"

namespace fsrace::sched {

/// Kinds of objects, so that numbers of different kinds never name the same object.
enum class ObjectKind : uint8_t { Lock = 1, BlockGroup, Bytenr, Inode, Counter, List, Device, Other };

/// A stable object id: the kind and a number that names the object within it (a bytenr, an inode number,
/// a block group's start, or a hash of a static name). Equal ids = the same object.
constexpr uint64_t object_id(ObjectKind kind, uint64_t number) {
  uint64_t z = number + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(kind) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
/// The id of an object named by a string (FNV-1a of its bytes, never its address).
constexpr uint64_t object_id(ObjectKind kind, const char* name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char* p = name; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  return object_id(kind, h);
}

struct Footprint {
  static constexpr uint8_t kEverything = 0xff;
  static constexpr uint8_t kMaxObjects = 4;
  uint8_t count = kEverything;  // objects declared; kEverything: undeclared, dependent on every step
  uint8_t writes = 0;           // bit i set: objects[i] is written (else only read)
  uint64_t objects[kMaxObjects] = {};

  bool everything() const { return count == kEverything; }
  /// Adds an object (a step that touches more than kMaxObjects objects declares nothing).
  Footprint& touch(uint64_t id, bool write = true) {
    if (everything()) return *this;
    if (count == kMaxObjects) {
      count = kEverything;
      return *this;
    }
    objects[count] = id;
    if (write) writes = static_cast<uint8_t>(writes | (1u << count));
    ++count;
    return *this;
  }
  Footprint& reads(uint64_t id) { return touch(id, false); }
  Footprint& writes_to(uint64_t id) { return touch(id, true); }
};

/// A declared footprint with no objects yet (a step that touches nothing shared: independent of every
/// step, undeclared ones included). Declare it for a step whose code, up to the fiber's next point, reads
/// and writes only the fiber's own locals (e.g. a point immediately followed by a primitive's point).
inline Footprint declared() {
  Footprint f;
  f.count = 0;
  return f;
}
/// Shorthand: a step that writes (or, write = false, only reads) one object.
inline Footprint touching(uint64_t id, bool write = true) { return declared().touch(id, write); }

/// Whether two steps (of different fibers) may not commute. A step that declared it touches nothing
/// commutes with every step, also with an undeclared one: they have no object in common.
inline bool dependent(const Footprint& a, const Footprint& b) {
  if (a.count == 0 || b.count == 0) return false;
  if (a.everything() || b.everything()) return true;
  for (uint8_t i = 0; i < a.count; ++i)
    for (uint8_t j = 0; j < b.count; ++j)
      if (a.objects[i] == b.objects[j] && (((a.writes >> i) | (b.writes >> j)) & 1u)) return true;
  return false;
}

/// Declares what the running fiber's NEXT step (from its next scheduling point to the one after)
/// touches. Call it immediately before that point; point(label, footprint) does both.
void declare_footprint(const Footprint& touches);

/// Scheduling point whose step (up to the fiber's next point) touches only `touches`.
inline void point(const Label& label, const Footprint& touches) {
  declare_footprint(touches);
  point(label);
}

}  // namespace fsrace::sched
