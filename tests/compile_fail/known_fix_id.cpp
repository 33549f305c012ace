// Must compile: the same code with a catalogue id (the control for unknown_fix_id.cpp).
#include "model/fixes.hpp"
bool consults_a_fix(const fsrace::model::fix_set& fixes) { return fixes.has("020d5b7366fc"); }
