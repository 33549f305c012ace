#include "sim/memory_meter.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "scheduler/detail/fiber_switch.hpp"

namespace fsrace::sim::memory {
namespace {
struct counter {
  int64_t live = 0, peak = 0;
};
constinit thread_local counter t_counter;
std::atomic<uint64_t> g_execution_peak{0};

#if !FSRACE_ASAN_FIBERS
inline void* counted(void* p) {
  if (p) {
    counter& c = t_counter;
    c.live += static_cast<int64_t>(::malloc_usable_size(p));
    if (c.live > c.peak) c.peak = c.live;
  }
  return p;
}
inline void uncounted(void* p) {
  if (p) t_counter.live -= static_cast<int64_t>(::malloc_usable_size(p));
}
#endif
}  // namespace

int64_t thread_live_bytes() { return t_counter.live; }
void reset_thread_peak() { t_counter.peak = t_counter.live; }
int64_t thread_peak_bytes() { return t_counter.peak; }
bool metered() { return !FSRACE_ASAN_FIBERS; }

void note_execution_peak(uint64_t bytes) {
  uint64_t seen = g_execution_peak.load(std::memory_order_relaxed);
  while (bytes > seen && !g_execution_peak.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}
uint64_t take_execution_peak() { return g_execution_peak.exchange(0, std::memory_order_relaxed); }

}  // namespace fsrace::sim::memory

#if !FSRACE_ASAN_FIBERS
// The replaceable global allocation functions (every form, so that new and delete stay paired).
using fsrace::sim::memory::counted;
using fsrace::sim::memory::uncounted;

namespace {
void* allocate(std::size_t n) {
  for (;;) {  // bounded by the new-handler: it frees memory or throws
    if (void* p = counted(std::malloc(n ? n : 1))) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}
void* allocate_aligned(std::size_t n, std::align_val_t al) {
  const std::size_t a = static_cast<std::size_t>(al) < sizeof(void*) ? sizeof(void*) : static_cast<std::size_t>(al);
  for (;;) {
    void* p = nullptr;
    if (::posix_memalign(&p, a, n ? n : 1) == 0) return counted(p);
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}
void release(void* p) noexcept {
  uncounted(p);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return allocate(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return allocate_aligned(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return allocate_aligned(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
#endif
