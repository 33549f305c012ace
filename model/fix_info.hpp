// One upstream fix as the catalogue describes it.
#pragma once

namespace fsrace::model {

struct fix_info {
  const char* id;       // first 12 hex digits of the upstream commit
  const char* title;    // upstream subject line
  const char* kernel;   // first mainline release carrying it, e.g. "4.7"
  const char* changes;  // what the model does differently with the fix on
  // A fix merged after the declared kernel's release but backported to its stable series: the first
  // stable release carrying it, e.g. "6.1.42" for a 6.5 fix (nullptr: mainline only).
  const char* stable = nullptr;
};

}  // namespace fsrace::model
