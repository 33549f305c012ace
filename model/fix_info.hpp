// One upstream fix as the catalogue describes it.
#pragma once

namespace fsrace::model {

struct fix_info {
  const char* id;       // first 12 hex digits of the upstream commit
  const char* title;    // upstream subject line
  const char* kernel;   // first mainline release carrying it, e.g. "4.7"
  const char* changes;  // what the model does differently with the fix on
};

}  // namespace fsrace::model
