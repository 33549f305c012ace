// The sanitizer build's fiber back-end (see fiber_switch.hpp): Boost.Context's ucontext fibers keep, per
// thread, the record of the context running now; its header declares the accessor and the per-thread
// set-up, which Debian's libboost_context (built for fcontext) does not define. Defined here, only for
// builds that use that back-end.
#if defined(BOOST_USE_UCONTEXT)
#include <boost/context/fiber.hpp>

namespace boost::context::detail {
namespace {
thread_local fiber_activation_record* t_running_record = nullptr;  // the context running on this thread
thread_local fiber_activation_record* t_thread_record = nullptr;   // the thread's own (non-fiber) context
}  // namespace

fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept {
  if (!t_thread_record) t_running_record = t_thread_record = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer() {
  delete t_thread_record;
  t_thread_record = t_running_record = nullptr;
}

fiber_activation_record*& fiber_activation_record::current() noexcept {
  thread_local fiber_activation_record_initializer thread_context;  // made on the thread's first switch
  return t_running_record;
}

}  // namespace boost::context::detail
#endif

#include "scheduler/detail/fiber_switch.hpp"
#if FSRACE_ASAN_FIBERS
// A sanitizer report must not look like fsrace's own exit codes (0 clean, 1 violation, 2 bad input,
// 3 tool error): ASan and UBSan exit with 86. Linked into every program of the sanitizer build with
// the scheduler (the fiber back-end above is always referenced there).
extern "C" const char* __asan_default_options() { return "exitcode=86"; }
extern "C" const char* __ubsan_default_options() { return "exitcode=86:halt_on_error=1:print_stacktrace=1"; }
#endif
