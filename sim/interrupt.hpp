#pragma once
// Ctrl-C: the command line's SIGINT handler requests an interrupt; explorations and shrinking poll it
// between executions and stop, and the reports say they were interrupted. A flag only (async-signal-safe).
namespace fsrace::sim {

void request_interrupt();
bool interrupt_requested();
void clear_interrupt();

}  // namespace fsrace::sim
