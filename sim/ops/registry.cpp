// Every operation family the command line offers. Model engineers add their family's call here.
#include "sim/binding.hpp"

namespace fsrace::sim {

void register_all_ops(catalogue& cat) {
  register_core_ops(cat);
}

}  // namespace fsrace::sim
