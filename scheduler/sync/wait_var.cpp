#include "scheduler/sync/wait_var.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/detail/runtime.hpp"

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

namespace detail {
WaitList& var_waiters(const void* var, const char* name) {
  Scheduler::Impl* s = running_impl();
  if (!s) throw std::logic_error(fmt::format("fsrace: wait_var_event({}) would block outside a fiber", name));
  auto [it, inserted] = s->vars.try_emplace(var, VarWaiters{name, WaitList{}});
  return it->second.list;
}
}  // namespace detail

void wake_up_var(const void* var) {
  Scheduler::Impl* s = detail::running_impl();
  if (!s) return;
  auto it = s->vars.find(var);
  point(Ls("wake_up_var({})", it == s->vars.end() ? "?" : it->second.name));
  touch_lock(it == s->vars.end() ? "?" : it->second.name);
  it = s->vars.find(var);  // look up again: a rescheduled fiber may have added entries meanwhile
  if (it != s->vars.end()) it->second.list.wake_all();
}

void wake_up_var(const void* var, const char* name) {
  point(Ls("wake_up_var({})", name));
  touch_lock(name);
  Scheduler::Impl* s = detail::running_impl();
  if (!s) return;
  auto it = s->vars.find(var);
  if (it != s->vars.end()) it->second.list.wake_all();
}

}  // namespace fsrace::sched
