// A vector of trivially copyable elements that holds up to N of them in place, on the heap only beyond
// that: the lists the model keeps per extent (an extent item's inline back references, a delayed ref
// head's nodes) mostly have one or two entries, and a std::vector allocates for each, copies them with
// every copy of the item (a COW of an extent tree leaf copies all its items) and frees them after.
// The part of std::vector's interface the model uses; iterators are pointers (random access, so
// std::sort and std::find_if work as on a vector), invalidated by any insertion or erasure.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>

namespace fsrace::model {

template <class T, size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "elements are moved with memcpy and never destroyed");
  static_assert(N > 0);

 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = T*;
  using const_iterator = const T*;
  using reference = T&;
  using const_reference = const T&;

  small_vector() = default;
  small_vector(std::initializer_list<T> il) { append(il.begin(), il.size()); }
  small_vector(const small_vector& o) { append(o.data(), o.size_); }
  small_vector(small_vector&& o) noexcept { take(o); }
  small_vector& operator=(const small_vector& o) {
    if (this != &o) {
      size_ = 0;
      append(o.data(), o.size_);
    }
    return *this;
  }
  small_vector& operator=(small_vector&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~small_vector() { release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }
  T* data() { return on_heap() ? heap_ : local(); }
  const T* data() const { return on_heap() ? heap_ : local(); }
  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }

  void reserve(size_t n) {
    if (n > cap_) grow(n);
  }
  void clear() { size_ = 0; }
  void push_back(const T& x) {
    const T copy = x;  // x may live in this vector
    if (size_ == cap_) grow(2 * cap_);
    ::new (static_cast<void*>(data() + size_)) T(copy);
    ++size_;
  }
  template <class... A> T& emplace_back(A&&... a) {
    const T made(std::forward<A>(a)...);
    push_back(made);
    return back();
  }
  void pop_back() { --size_; }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    T* d = data();
    const size_t b = size_t(first - d), e = size_t(last - d);
    if (e > b) {
      std::memmove(static_cast<void*>(d + b), d + e, (size_ - e) * sizeof(T));
      size_ -= uint32_t(e - b);
    }
    return d + b;
  }

  bool operator==(const small_vector& o) const { return std::equal(begin(), end(), o.begin(), o.end()); }

 private:
  bool on_heap() const { return cap_ > N; }
  T* local() { return std::launder(reinterpret_cast<T*>(local_)); }
  const T* local() const { return std::launder(reinterpret_cast<const T*>(local_)); }
  void append(const T* src, size_t n) {
    reserve(size_ + n);
    if (n) std::memcpy(static_cast<void*>(data() + size_), src, n * sizeof(T));
    size_ += uint32_t(n);
  }
  void grow(size_t n) {
    T* fresh = static_cast<T*>(::operator new(n * sizeof(T)));
    if (size_) std::memcpy(static_cast<void*>(fresh), data(), size_ * sizeof(T));
    release();
    heap_ = fresh;
    cap_ = uint32_t(n);
  }
  void release() {
    if (on_heap()) ::operator delete(heap_);
    cap_ = N;
  }
  // Takes o's elements, leaving o empty with its local storage.
  void take(small_vector& o) {
    if (o.on_heap()) {
      heap_ = o.heap_;
      cap_ = o.cap_;
      size_ = o.size_;
      o.cap_ = N;
    } else {
      cap_ = N;
      size_ = o.size_;
      if (size_) std::memcpy(static_cast<void*>(local()), o.local(), size_ * sizeof(T));
    }
    o.size_ = 0;
  }

  uint32_t size_ = 0, cap_ = N;
  union {
    T* heap_;
    alignas(T) unsigned char local_[N * sizeof(T)];
  };
};

}  // namespace fsrace::model
