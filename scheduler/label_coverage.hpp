#pragma once
// Which scheduling-point labels each fiber reached, and in which orders, over many executions: the
// coverage a search can report besides its execution count. A label's kind is its format text with its
// string argument ("mutex_lock(fs_info->chunk_mutex)", "read_tree_block({})": integer arguments vary
// between executions and are left out); a node is (fiber, kind). At every decision the step chosen, of
// kind a, runs before the step every other runnable fiber is about to take, of kind b: "a before b"
// while both were enabled. A pair seen in both orders is one whose order the search has tried both ways
// (a search that never preempts orders only a fiber's steps against the others' first ones).
//
// One collector per worker thread (node ids are the worker's own); take() hands what is new since the
// last take() to whoever merges workers (sim/label_coverage.hpp), by name, so the merge is the same for
// any number of workers.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduler/strategies/forwarding_strategy.hpp"

namespace fsrace::sched {

class LabelCoverage {
 public:
  static constexpr uint32_t kMaxNodes = 2048;  // more (fiber, kind) nodes are counted as overflow, not tracked

  /// The decision `d` chose runnable[chosen]: its step runs before the steps the others are about to take.
  void decided(const Decision& d, size_t chosen);

  /// What is new since the last take(): the nodes created (ids first_new, first_new + 1, ...), each as
  /// (fiber name, kind), and the pairs (a, b) "a before b" of nodes of different fibers seen first.
  struct Delta {
    uint32_t first_new = 0;
    std::vector<std::pair<std::string, std::string>> new_nodes;
    std::vector<std::pair<uint32_t, uint32_t>> new_pairs;
    bool overflow = false;  // a node beyond kMaxNodes was met (ever)
  };
  Delta take();

 private:
  struct Key {
    FiberId fiber;
    const char* text;
    const char* str;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      // Pointer values only pick a bucket: nothing is ever iterated in this map's order.
      uint64_t h = reinterpret_cast<uintptr_t>(k.text) * 0x9e3779b97f4a7c15ULL;
      h ^= reinterpret_cast<uintptr_t>(k.str) + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
      return static_cast<size_t>(h ^ (uint64_t{k.fiber} << 32));
    }
  };
  uint32_t node_of(FiberId f, const Label& label, const Scheduler& scheduler);
  uint32_t cached_node(FiberId f, const Label& label, const Scheduler& scheduler);

  // Direct-mapped cache in front of ids_: a step's lookup is most often a hit here.
  static constexpr size_t kCacheSize = 1024;
  struct CacheEntry {
    Key key{~FiberId{0}, nullptr, nullptr};
    uint32_t id = 0;
  };
  std::vector<CacheEntry> cache_ = std::vector<CacheEntry>(kCacheSize);

  std::unordered_map<Key, uint32_t, KeyHash> ids_;
  std::vector<std::vector<uint64_t>> before_;  // by node b: bit a set = a ran before b while both were enabled
  uint32_t taken_nodes_ = 0;
  std::vector<std::pair<std::string, std::string>> pending_nodes_;
  std::vector<std::pair<uint32_t, uint32_t>> pending_pairs_;
  bool overflow_ = false;
};

/// A strategy that reports every step it lets run to a LabelCoverage, and otherwise is `inner`.
class CoveringStrategy final : public ForwardingStrategy {
 public:
  CoveringStrategy(Strategy& inner, LabelCoverage& coverage) : ForwardingStrategy(inner), coverage_(coverage) {}
  size_t choose(const Decision& d) override {
    const size_t i = inner().choose(d);
    if (i < d.count && d.scheduler != nullptr) coverage_.decided(d, i);  // every step: its kind is reached
    return i;
  }

 private:
  LabelCoverage& coverage_;
};

/// The kind of a label: its text with the string argument filled in and integer arguments as "…".
std::string label_kind(const Label&);

}  // namespace fsrace::sched
