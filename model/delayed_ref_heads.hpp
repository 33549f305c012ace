// The delayed ref heads of a transaction (delayed_refs->href_root): ordered by bytenr, as the
// std::map they used to be, with a hash index beside the map for the lookups by bytenr that every
// queued reference makes (head_for, lookup_extent_info, check_ref_cleanup, extract). A commit that
// relocates a block group queues a thousand heads and more; a lookup through the index reads a slot
// instead of walking a red-black tree of that many nodes. A head queued above every other (new tree
// blocks are usually allocated upward) is inserted at the end without a search. Iteration is the
// map's, in bytenr order: the index is only looked up, never iterated, so nothing depends on its
// slot order.
#pragma once
#include <cstdint>
#include <iterator>
#include <map>
#include <stdexcept>

#include "model/probe_index.hpp"

namespace fsrace::model {

template <class Head>
class delayed_ref_heads {
  using map_type = std::map<uint64_t, Head>;

 public:
  using iterator = typename map_type::iterator;
  using const_iterator = typename map_type::const_iterator;
  using node_type = typename map_type::node_type;

  delayed_ref_heads() = default;
  delayed_ref_heads(const delayed_ref_heads& o) : heads_(o.heads_) { reindex(); }
  delayed_ref_heads(delayed_ref_heads&& o) noexcept : heads_(std::move(o.heads_)) {
    reindex();
    o.heads_.clear();
    o.index_.clear();
  }
  delayed_ref_heads& operator=(const delayed_ref_heads& o) {
    if (this != &o) {
      heads_ = o.heads_;
      reindex();
    }
    return *this;
  }
  delayed_ref_heads& operator=(delayed_ref_heads&& o) noexcept {
    if (this != &o) {
      heads_ = std::move(o.heads_);
      reindex();
      o.heads_.clear();
      o.index_.clear();
    }
    return *this;
  }

  bool empty() const { return heads_.empty(); }
  size_t size() const { return heads_.size(); }
  iterator begin() { return heads_.begin(); }
  iterator end() { return heads_.end(); }
  const_iterator begin() const { return heads_.begin(); }
  const_iterator end() const { return heads_.end(); }

  iterator find(uint64_t bytenr) {
    const iterator* it = index_.find(bytenr);
    return it ? *it : heads_.end();
  }
  const_iterator find(uint64_t bytenr) const {
    const iterator* it = index_.find(bytenr);
    return it ? const_iterator(*it) : heads_.end();
  }
  bool contains(uint64_t bytenr) const { return index_.find(bytenr) != nullptr; }
  size_t count(uint64_t bytenr) const { return contains(bytenr) ? 1 : 0; }
  Head& at(uint64_t bytenr) {
    const iterator* it = index_.find(bytenr);
    if (!it) throw std::out_of_range("delayed_ref_heads::at");
    return (*it)->second;
  }
  const Head& at(uint64_t bytenr) const { return const_cast<delayed_ref_heads&>(*this).at(bytenr); }
  // The head of `bytenr`, a default one added when there is none (std::map::operator[]).
  Head& operator[](uint64_t bytenr) {
    if (const iterator* it = index_.find(bytenr)) return (*it)->second;
    const iterator hint = heads_.empty() || std::prev(heads_.end())->first < bytenr ? heads_.end()
                                                                                     : heads_.lower_bound(bytenr);
    const iterator it = heads_.emplace_hint(hint, bytenr, Head{});
    index_.emplace(bytenr, it);
    return it->second;
  }
  iterator erase(iterator it) {
    index_.erase(it->first);
    return heads_.erase(it);
  }
  size_t erase(uint64_t bytenr) {
    const iterator* it = index_.find(bytenr);
    if (!it) return 0;
    heads_.erase(*it);
    index_.erase(bytenr);
    return 1;
  }
  // Takes the head of `bytenr` out (an empty node when there is none), as std::map::extract.
  node_type extract(uint64_t bytenr) {
    const iterator* it = index_.find(bytenr);
    if (!it) return node_type();
    const iterator pos = *it;
    index_.erase(bytenr);
    return heads_.extract(pos);
  }
  void clear() {
    heads_.clear();
    index_.clear();
  }

 private:
  void reindex() {
    index_.clear();
    index_.reserve(heads_.size());
    for (auto it = heads_.begin(); it != heads_.end(); ++it) index_.emplace(it->first, it);
  }
  map_type heads_;
  probe_index<uint64_t, iterator> index_;  // bytenr -> its node in heads_; lookups only
};

}  // namespace fsrace::model
