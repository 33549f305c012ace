#pragma once
// AddressSanitizer must be told about every switch between stacks (its fiber API), or it takes a fiber
// stack for the thread's and reports false stack-buffer-overflows when an exception unwinds one (the
// unwinding of suspended fibers at the end of every execution, deadlocks, divergences). The sanitizer
// build (CMake FSRACE_SANITIZE) therefore switches with Boost.Context's ucontext back-end and
// BOOST_USE_ASAN, which annotates every switch, first entry, unwinding and exit of a fiber with
// __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber (fiber_asan.cpp supplies the part of
// that back-end Debian's libboost_context, built for fcontext, does not ship). Other builds keep the
// fcontext switch, the fastest. The stack pool unpoisons a stack when it is returned for reuse.
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define FSRACE_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FSRACE_ASAN_FIBERS 1
#endif
#endif
#ifndef FSRACE_ASAN_FIBERS
#define FSRACE_ASAN_FIBERS 0
#endif

#if FSRACE_ASAN_FIBERS
#if !defined(BOOST_USE_UCONTEXT) || !defined(BOOST_USE_ASAN)
#error "an ASan build of fsrace needs -DBOOST_USE_UCONTEXT -DBOOST_USE_ASAN (CMake option FSRACE_SANITIZE)"
#endif
#include <sanitizer/asan_interface.h>
#endif

namespace fsrace::sched::detail {

/// A pooled stack is reused by another fiber: forget the poison its last frames left behind.
inline void asan_unpoison_stack([[maybe_unused]] void* bottom, [[maybe_unused]] size_t size) {
#if FSRACE_ASAN_FIBERS
  ASAN_UNPOISON_MEMORY_REGION(bottom, size);
#endif
}

}  // namespace fsrace::sched::detail
