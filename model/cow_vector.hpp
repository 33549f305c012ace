// A vector that copies in O(1): copies share one payload until one of them is changed, which then
// makes its own copy first. A tree block's leaf items are held this way, so copying a block whose
// items stay the same (a COW that only changes the header: relocation, the commit's writeback of a
// shared block, a snapshot's copy of the root) does not copy the items, and freeing the copy does not
// free them.
//
// Reads go through the const members; every non-const member (mutable begin/end/[], insert, erase,
// ...) first makes the payload this holder's own. Sharing is detected by the payload's use count:
// a holder that sees a count of 1 is the only one that can reach the payload (no other holder exists
// to copy it from), so changing it in place is safe even while other threads hold other payloads.
//
// payload_id() names the payload's current content: it is taken from a process-wide counter whenever
// the payload is created or handed out for change, so two calls return the same id only if the
// content did not change in between (a cache keyed on it is valid as long as it keeps the payload
// alive or compares ids only).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

namespace fsrace::model {

namespace detail {
inline std::atomic<uint64_t> cow_vector_ids{1};
}

template <class T>
class cow_vector {
  struct payload {
    std::vector<T> v;
    uint64_t id = detail::cow_vector_ids.fetch_add(1, std::memory_order_relaxed);
  };

 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;
  using const_reverse_iterator = typename std::vector<T>::const_reverse_iterator;

  cow_vector() = default;
  cow_vector(std::initializer_list<T> il) : p_(std::make_shared<payload>(payload{std::vector<T>(il)})) {}
  cow_vector(std::vector<T> v) : p_(std::make_shared<payload>(payload{std::move(v)})) {}  // NOLINT: as a vector
  template <class It> cow_vector(It first, It last) : p_(std::make_shared<payload>(payload{std::vector<T>(first, last)})) {}
  cow_vector(const cow_vector&) = default;
  cow_vector(cow_vector&&) noexcept = default;
  cow_vector& operator=(const cow_vector&) = default;
  cow_vector& operator=(cow_vector&&) noexcept = default;
  cow_vector& operator=(std::vector<T> v) {
    p_ = std::make_shared<payload>(payload{std::move(v)});
    return *this;
  }

  // Reading.
  size_t size() const { return p_ ? p_->v.size() : 0; }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return p_->v[i]; }
  const T& front() const { return p_->v.front(); }
  const T& back() const { return p_->v.back(); }
  const_iterator begin() const { return view().begin(); }
  const_iterator end() const { return view().end(); }
  const_iterator cbegin() const { return view().begin(); }
  const_iterator cend() const { return view().end(); }
  const_reverse_iterator rbegin() const { return view().rbegin(); }
  const_reverse_iterator rend() const { return view().rend(); }
  const std::vector<T>& view() const { return p_ ? p_->v : empty_vector(); }
  operator const std::vector<T>&() const { return view(); }  // NOLINT: reads as the vector it holds
  bool operator==(const cow_vector& o) const { return p_ == o.p_ || view() == o.view(); }
  bool operator==(const std::vector<T>& o) const { return view() == o; }
  const T* data() const { return view().data(); }

  // Identity of the current content (see the file comment); 0 for an empty vector without a payload.
  uint64_t payload_id() const { return p_ ? p_->id : 0; }
  // Whether both hold the same payload (then their contents are equal).
  bool shares_with(const cow_vector& o) const { return p_ && p_ == o.p_; }

  // Changing: each makes the payload this holder's own first.
  std::vector<T>& mut() {
    if (!p_) {
      p_ = std::make_shared<payload>();
    } else if (p_.use_count() > 1) {
      p_ = std::make_shared<payload>(payload{p_->v});
    } else {
      p_->id = detail::cow_vector_ids.fetch_add(1, std::memory_order_relaxed);
    }
    return p_->v;
  }
  T& operator[](size_t i) { return mut()[i]; }
  T* data() { return mut().data(); }
  T& front() { return mut().front(); }
  T& back() { return mut().back(); }
  iterator begin() { return mut().begin(); }
  iterator end() { return mut().end(); }
  template <class... A> iterator insert(const_iterator pos, A&&... a) {
    // `pos` may point into a shared payload: re-base it on this holder's own copy.
    const auto off = pos - view().begin();
    auto& v = mut();
    return v.insert(v.begin() + off, std::forward<A>(a)...);
  }
  iterator erase(const_iterator pos) {
    const auto off = pos - view().begin();
    auto& v = mut();
    return v.erase(v.begin() + off);
  }
  iterator erase(const_iterator first, const_iterator last) {
    const auto b = first - view().begin(), e = last - view().begin();
    auto& v = mut();
    return v.erase(v.begin() + b, v.begin() + e);
  }
  template <class It> void assign(It first, It last) {
    // The range may come from another holder's (or this one's) payload: build the new one apart.
    p_ = std::make_shared<payload>(payload{std::vector<T>(first, last)});
  }
  void assign(size_t n, const T& x) { p_ = std::make_shared<payload>(payload{std::vector<T>(n, x)}); }
  void resize(size_t n) { mut().resize(n); }
  void reserve(size_t n) { mut().reserve(n); }
  void clear() { p_.reset(); }
  void push_back(const T& x) { mut().push_back(x); }
  void push_back(T&& x) { mut().push_back(std::move(x)); }
  template <class... A> T& emplace_back(A&&... a) { return mut().emplace_back(std::forward<A>(a)...); }

 private:
  static const std::vector<T>& empty_vector() {
    static const std::vector<T> e;
    return e;
  }
  std::shared_ptr<payload> p_;
};

}  // namespace fsrace::model
