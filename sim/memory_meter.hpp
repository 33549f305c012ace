#pragma once
// Memory of one execution, measured: the global allocation functions count, per thread, the heap bytes
// live (malloc_usable_size), and an execution's peak is the most bytes live above what was live when it
// started (its clone of the prepared filesystem, traces, model state). A measurement like a timing: it
// depends on the allocator and on what earlier executions left allocated (e.g. reused buffers), so it is
// reported, never used in a decision. Under AddressSanitizer (which owns the allocation functions) it is 0.
#include <cstdint>

namespace fsrace::sim::memory {

/// Bytes live on the heap, counted for allocations and frees made by this thread.
int64_t thread_live_bytes();
/// Starts measuring this thread's peak: from now, the peak is the live bytes' high-water mark.
void reset_thread_peak();
int64_t thread_peak_bytes();
/// False when the counting allocator is not in use (sanitizer builds).
bool metered();

/// The largest execution peak noted since the last take, process-wide (explorations of one process run
/// one after the other; the workers of one exploration note theirs concurrently).
void note_execution_peak(uint64_t bytes);
uint64_t take_execution_peak();

/// Measures the code between construction and peak(): the most bytes live above the start.
class execution_meter {
 public:
  execution_meter() : start_(thread_live_bytes()) { reset_thread_peak(); }
  uint64_t peak() const {
    const int64_t p = thread_peak_bytes() - start_;
    return p > 0 ? static_cast<uint64_t>(p) : 0;
  }

 private:
  int64_t start_;
};

}  // namespace fsrace::sim::memory
