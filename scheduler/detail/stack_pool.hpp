#pragma once
// Fiber stacks owned by one Scheduler and reused across executions: a stack is mapped (with a guard
// page below it) only when more fibers are alive at once than ever before; never per execution.
#include <cstddef>
#include <vector>

#include <boost/context/stack_context.hpp>

namespace fsrace::sched::detail {

class StackPool {
 public:
  explicit StackPool(size_t stack_size);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context&) noexcept;
  size_t mapped() const { return mappings_.size(); }

 private:
  struct Mapping { void* base; size_t length; };
  size_t usable_;  // bytes above the guard page
  size_t page_;
  std::vector<boost::context::stack_context> free_;
  std::vector<Mapping> mappings_;
};

/// The StackAllocator concept of Boost.Context, backed by a pool (copied into each fiber record).
struct PooledStack {
  StackPool* pool;
  boost::context::stack_context allocate() { return pool->allocate(); }
  void deallocate(boost::context::stack_context& sctx) noexcept { pool->deallocate(sctx); }
};

}  // namespace fsrace::sched::detail
