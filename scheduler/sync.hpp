#pragma once
// All kernel-like synchronisation primitives.
#include "scheduler/sync/atomic.hpp"
#include "scheduler/sync/completion.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"
#include "scheduler/sync/wait_queue.hpp"
#include "scheduler/sync/wait_var.hpp"
