#pragma once
// What a step touches, for partial-order reduction (the dpor strategy). A step is everything a fiber
// does from one scheduling point to its next one. Two steps are independent only when neither writes an
// object the other touches and neither updates one the other reads (commuting updates:
// Footprint::updates); a step that ran any code outside a declaration is dependent on every other step,
// so a missing declaration costs search time, never soundness.
//
// Declaring. A step's footprint is RECORDED while it runs: the union of the claims of every
// FootprintScope that was the fiber's innermost scope at some moment of the step, plus what primitives
// touch (touch_step: a lock's own object). Code that runs while no scope is open (a caller that did not
// declare, a fiber's body) makes the step undeclared. A scope's claim covers all the code that runs
// while it is innermost, callees included, up to the fiber's next point and after it: declare the
// objects of the scope's own code and of every undeclared callee. point(label, footprint) instead claims
// the one step that starts there, whatever scopes it enters or leaves.
//
// Objects are bits. Each kind of object owns a range of the kObjectBits (256) bits; an instance (a lock by its name,
// an inode by its number) hashes to one bit of its kind's range, and two instances sharing a bit are
// merely treated as one object (dependent, never wrongly independent). Ids never come from addresses.
#include <cstddef>
#include <cstdint>
#include <string>

namespace fsrace::sched {

/// Kinds of objects, each with its own bits (kind_bits()), so that different kinds never share a bit.
enum class ObjectKind : uint8_t {
  // Named instances, hashed into the kind's range:
  Lock = 0,    // a primitive's own state: lock, rwsem, wait queue, completion, atomic, wait_var (by name)
  Inode,       // an inode's in-memory state: page cache, io tree, extent maps, ordered extents, i_size,
               // runtime flags, delalloc counters (by inode number)
  Tree,        // a btree and its btrfs_root: nodes and leaves, node/commit_root pointers, root item,
               // cached extent buffers of its blocks (by root objectid)
  BlockGroup,  // a block group's in-memory state: counters, ro, flags, free space, its lists' links (by start)
  Bytenr,      // an extent or tree block by its logical address (by bytenr)
  Device,      // a device's state: size, bytes used, flags, its place in lists (by devid)
  DeviceData,  // a device's contents (by devid and physical MiB: model/footprints.hpp device_data)
  Counter,     // other counters (by name or number)
  List,        // other lists (by name)
  Other,       // anything else (by name or number)
  // Whole structures, one bit each:
  Transaction,  // running/committing transaction, its state, writers, lists; fs_info->generation
  DelayedRefs,  // delayed ref heads and refs of the running transaction
  SpaceInfo,    // space_info counters, block reserves, tickets
  ChunkMap,     // the chunk mapping (extent maps of chunks), fs_devices' lists
  Relocation,   // reloc_control, the data reloc inode's relocation state
  Balance,      // fs_info->balance_ctl, exclusive operation state
  Scrub,        // scrub contexts, scrub pause/cancel counters
  Replace,      // fs_info->dev_replace
  UnusedBgs,    // fs_info->unused_bgs, reclaim_bgs, the cleaner's state
  Oracle,       // the checkers' record of what user space did and saw (data oracle, op results)
  Send,         // send contexts
  kCount
};

struct KindBits {
  uint8_t base, width;
};
/// The number of object bits (ObjectMask).
constexpr unsigned kObjectBits = 256;
/// The bits of a kind: [base, base + width).
constexpr KindBits kind_bits(ObjectKind kind) {
  constexpr KindBits table[] = {
      {0, 107},   {107, 24},  {131, 16},  {147, 16},  {163, 12},  {175, 6},  {181, 16},  // Lock .. DeviceData
      {197, 8},   {205, 8},   {213, 32},                                             // Counter, List, Other
      {245, 1},   {246, 1},   {247, 1},   {248, 1},   {249, 1},   {250, 1}, {251, 1},  // Transaction .. Scrub
      {252, 1},   {253, 1},   {254, 1},   {255, 1},                                  // Replace .. Send
  };
  static_assert(sizeof(table) / sizeof(table[0]) == static_cast<size_t>(ObjectKind::kCount));
  return table[static_cast<size_t>(kind)];
}

/// The kinds' ranges tile the bits in order without overlap and fit in kObjectBits.
constexpr bool kind_bits_tile() {
  unsigned next = 0;
  for (size_t k = 0; k < static_cast<size_t>(ObjectKind::kCount); ++k) {
    const KindBits b = kind_bits(static_cast<ObjectKind>(k));
    if (b.base != next || b.width == 0) return false;
    next += b.width;
  }
  return next <= kObjectBits;
}
static_assert(kind_bits_tile());

/// An object id: the bit that stands for the object (0 .. kObjectBits - 1). Fibonacci hashing: consecutive numbers
/// (inode numbers, root ids) and multiples of a power of two (bytenrs, block group starts) spread over
/// the kind's bits, so that a few objects of a kind rarely share one.
constexpr uint64_t object_id(ObjectKind kind, uint64_t number) {
  const KindBits k = kind_bits(kind);
  const uint64_t fraction = number * 0x9e3779b97f4a7c15ULL;  // number * golden ratio, mod 2^64
  return k.base + static_cast<uint64_t>((static_cast<unsigned __int128>(fraction) * k.width) >> 64);
}
/// The id of an object named by a string (FNV-1a of its bytes, never its address).
constexpr uint64_t object_id(ObjectKind kind, const char* name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char* p = name; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  return object_id(kind, h);
}
/// The seed of lock_id's hash. Any value is sound (locks sharing a bit are merely treated as one); this
/// one was found by searching seeds for one that gives the locks the data-path scenarios take (by name
/// and instance, tests/scheduler/test_footprint.cpp lists them) a bit each: with the unseeded hash
/// fs_info->balance_mutex shared a bit with inode 257's i_rwsem, ro_block_group_mutex with the block
/// groups' nocow_writers, cleaner_mutex with commit_root_sem, and five more pairs. A new lock name may
/// land on a taken bit: the test says so, and a new search (any seed with no shared bit) fixes it.
inline constexpr uint64_t kLockSeed = 2289;
/// The id of a primitive (ObjectKind::Lock) by its name and, for a per-object lock whose name all its
/// instances share ("btrfs_root->node lock"), the number its owner set (set_instance: the root's id).
constexpr uint64_t lock_id(const char* name, uint64_t instance = 0) {
  uint64_t h = 0xcbf29ce484222325ULL ^ kLockSeed;
  for (const char* p = name; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  return object_id(ObjectKind::Lock, h + instance * 0x9e3779b97f4a7c15ULL);
}
/// The id of a whole-structure kind (Transaction, SpaceInfo, ...).
constexpr uint64_t object_id(ObjectKind kind) { return kind_bits(kind).base; }

/// A set of objects: one bit per object id.
struct ObjectMask {
  static constexpr unsigned kWords = kObjectBits / 64;
  uint64_t w[kWords] = {};

  constexpr ObjectMask& operator|=(const ObjectMask& o) {
    for (unsigned i = 0; i < kWords; ++i) w[i] |= o.w[i];
    return *this;
  }
  friend constexpr ObjectMask operator|(ObjectMask a, const ObjectMask& b) { return a |= b; }
  friend constexpr ObjectMask operator&(ObjectMask a, const ObjectMask& b) {
    for (unsigned i = 0; i < kWords; ++i) a.w[i] &= b.w[i];
    return a;
  }
  friend constexpr ObjectMask operator~(ObjectMask a) {
    for (unsigned i = 0; i < kWords; ++i) a.w[i] = ~a.w[i];
    return a;
  }
  friend constexpr bool operator==(const ObjectMask& a, const ObjectMask& b) {
    for (unsigned i = 0; i < kWords; ++i)
      if (a.w[i] != b.w[i]) return false;
    return true;
  }
  constexpr bool any() const {
    for (unsigned i = 0; i < kWords; ++i)
      if (w[i] != 0) return true;
    return false;
  }
  constexpr bool test(uint64_t bit) const { return (w[bit / 64] >> (bit % 64)) & 1u; }
  constexpr void set(uint64_t bit) { w[bit / 64] |= uint64_t{1} << (bit % 64); }
  static constexpr ObjectMask all() {
    ObjectMask m;
    for (unsigned i = 0; i < kWords; ++i) m.w[i] = ~uint64_t{0};
    return m;
  }
  /// Calls f(bit) for every set bit, lowest first.
  template <class F>
  void for_each(F&& f) const {
    for (unsigned i = 0; i < kWords; ++i)
      for (uint64_t x = w[i]; x != 0; x &= x - 1)  // bounded: one iteration per set bit
        f(64 * i + static_cast<unsigned>(__builtin_ctzll(x)));
  }
};
constexpr ObjectMask kAllObjects = ObjectMask::all();
constexpr ObjectMask object_bit(uint64_t id) {
  ObjectMask m;
  m.set(id);
  return m;
}
namespace detail {
constexpr ObjectMask compute_kind_mask(ObjectKind kind) {
  const KindBits k = kind_bits(kind);
  ObjectMask m;
  for (unsigned b = k.base; b < k.base + k.width; ++b) m.set(b);  // bounded: the kind's width
  return m;
}
struct KindMasks {
  ObjectMask m[static_cast<size_t>(ObjectKind::kCount)];
};
constexpr KindMasks compute_kind_masks() {
  KindMasks t;
  for (size_t k = 0; k < static_cast<size_t>(ObjectKind::kCount); ++k) t.m[k] = compute_kind_mask(static_cast<ObjectKind>(k));
  return t;
}
/// Built at compile time: claims name whole kinds at run time (touch_kind), a table look-up, not a loop.
inline constexpr KindMasks kKindMasks = compute_kind_masks();
}  // namespace detail
/// Every bit of a kind (a step touching all its instances).
constexpr const ObjectMask& kind_mask(ObjectKind kind) { return detail::kKindMasks.m[static_cast<size_t>(kind)]; }

struct Footprint {
  ObjectMask reads;    // objects only read
  ObjectMask writes;   // objects written; all bits: undeclared, dependent on every step
  // Objects changed by an update that commutes with every other update of the object and whose result
  // the step does not look at (an increment or a decrement of a reference count that cannot reach the
  // value anything tests): two updates are independent, an update and a read or a write are not. A
  // step whose code tests the value after its update (a dec-and-test that may reach zero) writes it.
  ObjectMask updates;

  /// Undeclared (everything). User-provided constructors: with default member initializers instead,
  /// GCC built `Footprint{}` by zeroing it with `rep stos` and then filling it, which was 13% of
  /// DPOR's choose() (a step's reset) and ran at every recorded step's end (scheduler resume()).
  constexpr Footprint() : reads(kAllObjects), writes(kAllObjects), updates() {}
  constexpr Footprint(const ObjectMask& r, const ObjectMask& w, const ObjectMask& u = {}) : reads(r), writes(w), updates(u) {}

  bool everything() const { return writes == kAllObjects; }
  bool empty() const { return !(reads | writes | updates).any(); }
  Footprint& touch(uint64_t id, bool write = true) {
    (write ? writes : reads).set(id);  // one word, not a whole mask built and or-ed (a hot path while recording)
    return *this;
  }
  Footprint& reads_from(uint64_t id) { return touch(id, false); }
  Footprint& writes_to(uint64_t id) { return touch(id, true); }
  /// A commuting update of the object (see updates).
  Footprint& updates_to(uint64_t id) {
    updates.set(id);
    return *this;
  }
  /// Every instance of a kind (e.g. all locks).
  Footprint& touch_kind(ObjectKind kind, bool write = true) {
    (write ? writes : reads) |= kind_mask(kind);
    return *this;
  }
  Footprint& operator|=(const Footprint& o) {
    reads |= o.reads;
    writes |= o.writes;
    updates |= o.updates;
    return *this;
  }
  friend bool operator==(const Footprint& a, const Footprint& b) {
    return a.reads == b.reads && a.writes == b.writes && a.updates == b.updates;
  }
};

/// A declared footprint with no objects yet (touches nothing shared: independent of every step,
/// undeclared ones included).
inline Footprint declared() { return Footprint{ObjectMask{}, ObjectMask{}}; }
/// Shorthand: a footprint that writes (or, write = false, only reads) one object.
inline Footprint touching(uint64_t id, bool write = true) { return declared().touch(id, write); }

/// Whether two steps (of different fibers) may not commute: one writes an object the other touches, or
/// one updates an object the other reads (two updates of an object commute).
inline bool dependent(const Footprint& a, const Footprint& b) {
  return ((a.writes & (b.reads | b.writes | b.updates)) | (b.writes & (a.reads | a.updates)) | (a.updates & b.reads) |
          (b.updates & a.reads))
      .any();
}

/// Claims what the code run while this scope is the fiber's innermost one touches (see the top of the
/// file); outside a fiber it does nothing. Scopes nest on the fiber's stack, like the calls they wrap.
/// When nobody reads footprints (recording_footprints() false: a strategy other than dpor, no
/// --footprints) scopes and touches return at once, so that declaring costs other strategies nothing
/// but the building of the claim.
class FootprintScope {
 public:
  explicit FootprintScope(const Footprint& claim);
  ~FootprintScope();
  FootprintScope(const FootprintScope&) = delete;
  FootprintScope& operator=(const FootprintScope&) = delete;

 private:
  // The fiber's slot points to its innermost scope's claim, kept here (the claim passed in may be a
  // temporary): opening and closing a scope copies one footprint, not three. Left unconstructed when
  // the scope is not active (no fiber, nobody recording), so that it costs other strategies nothing.
  union Claim {
    char none;
    Footprint footprint;
    Claim() : none() {}
  } claim_;
  const Footprint* outer_ = nullptr;  // the enclosing claim (the slot's before this one); nullptr: not active
};

/// Whether the running execution records footprints (Strategy::wants_footprints() or
/// Options::record_footprints). Claims that cost something to build can test it first.
bool recording_footprints();

/// Adds an object to the running step's footprint (a primitive's own lock, say). A no-op on an
/// undeclared step, and outside a fiber.
void touch_step(uint64_t id, bool write = true);
/// A primitive's own object: touch_step(lock_id(name, instance)), hashed only when the step is declared.
void touch_lock(const char* name, uint64_t instance = 0, bool write = true);
/// lock_id(name, instance) of one primitive, kept from its last use: hashing the name at every lock
/// operation was 5% of a DPOR search's CPU. Keyed by the name's pointer and the instance, as the
/// primitive holds them (a primitive's name is a string that outlives it), so a renamed or renumbered
/// primitive recomputes it; the id depends on the name's bytes only.
class LockIdCache {
 public:
  uint64_t id(const char* name, uint64_t instance) const {
    if (name != name_ || instance != instance_ || !valid_) {
      name_ = name;
      instance_ = instance;
      id_ = lock_id(name, instance);
      valid_ = true;
    }
    return id_;
  }

 private:
  mutable const char* name_ = nullptr;
  mutable uint64_t instance_ = 0, id_ = 0;
  mutable bool valid_ = false;
};
/// touch_lock with the primitive's cache.
void touch_lock(const char* name, uint64_t instance, const LockIdCache& cache, bool write = true);

/// Declares the whole of the running fiber's NEXT step (from its next scheduling point to the one
/// after), overriding what its scopes would record. Call it immediately before that point;
/// point(label, footprint) (scheduler.hpp) does both.
void declare_footprint(const Footprint& touches);

/// "everything", "nothing", or the objects as "W Tree.3 Inode.1 R Lock.17 U Inode.5" (kind and bit within it;
/// written, only read, only updated).
std::string describe(const Footprint&);

}  // namespace fsrace::sched
