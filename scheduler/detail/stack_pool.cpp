#include "scheduler/detail/stack_pool.hpp"

#include "scheduler/detail/fiber_switch.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <stdexcept>
#include <string>

namespace fsrace::sched::detail {

StackPool::StackPool(size_t stack_size) : page_(static_cast<size_t>(::sysconf(_SC_PAGESIZE))) {
  if (stack_size < 16 * 1024) throw std::invalid_argument("fsrace: fiber stack_size must be >= 16 KiB");
  usable_ = (stack_size + page_ - 1) / page_ * page_;
}

StackPool::~StackPool() {
  for (const Mapping& m : mappings_) ::munmap(m.base, m.length);
}

boost::context::stack_context StackPool::allocate() {
  if (!free_.empty()) {
    boost::context::stack_context sctx = free_.back();
    free_.pop_back();
    return sctx;
  }
  const size_t length = usable_ + page_;
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  ::mprotect(base, page_, PROT_NONE);  // guard page: a stack overflow faults instead of corrupting memory
  free_.reserve(mappings_.size() + 1);  // deallocate() must never allocate
  mappings_.push_back({base, length});
  boost::context::stack_context sctx;
  sctx.size = usable_;
  sctx.sp = static_cast<char*>(base) + length;  // stacks grow down
  return sctx;
}

void StackPool::deallocate(boost::context::stack_context& sctx) noexcept {
  asan_unpoison_stack(static_cast<char*>(sctx.sp) - sctx.size, sctx.size);
  free_.push_back(sctx);
}

}  // namespace fsrace::sched::detail
