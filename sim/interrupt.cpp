#include "sim/interrupt.hpp"

#include <atomic>

namespace fsrace::sim {
namespace {
std::atomic<bool> g_interrupt{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
}  // namespace

void request_interrupt() { g_interrupt.store(true, std::memory_order_relaxed); }
bool interrupt_requested() { return g_interrupt.load(std::memory_order_relaxed); }
void clear_interrupt() { g_interrupt.store(false, std::memory_order_relaxed); }

}  // namespace fsrace::sim
