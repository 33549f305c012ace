// Every operation family the command line offers. Model engineers add their family's call here.
#include "sim/binding.hpp"

namespace fsrace::sim {

void register_data_ops(catalogue&);  // sim/ops/data.cpp
void register_extent_io_ops(catalogue&);  // sim/ops/extent_io.cpp
void register_balance_ops(catalogue&);  // sim/ops/maintenance_balance.cpp
void register_send_ops(catalogue&);  // sim/ops/maintenance_send.cpp
void register_scrub_ops(catalogue&);  // sim/ops/maintenance_scrub.cpp
void register_reflink_ops(catalogue&);  // sim/ops/reflink.cpp
void register_resize_ops(catalogue&);  // sim/ops/maintenance_resize.cpp
void register_device_ops(catalogue&);  // sim/ops/maintenance_device.cpp
void register_fiemap_ops(catalogue&);  // sim/ops/fiemap.cpp

void register_all_ops(catalogue& cat) {
  register_core_ops(cat);
  register_data_ops(cat);
  register_extent_io_ops(cat);
  register_balance_ops(cat);
  register_send_ops(cat);
  register_scrub_ops(cat);
  register_reflink_ops(cat);
  register_resize_ops(cat);
  register_device_ops(cat);
  register_fiemap_ops(cat);
}

}  // namespace fsrace::sim
