#include "model/extent_io/extent_buffer.hpp"

#include <array>

namespace fsrace::model {

std::string describe_bflags(uint32_t bflags) {
  static constexpr std::array kNames{"UPTODATE", "DIRTY",     "CORRUPT",  "READAHEAD", "TREE_REF",  "STALE",
                                     "WRITEBACK", "READ_ERR", "UNMAPPED", "IN_TREE",   "WRITE_ERR"};
  std::string out;
  for (size_t bit = 0; bit < kNames.size(); ++bit) {
    if (!(bflags & (1u << bit))) continue;
    if (!out.empty()) out += '|';
    out += kNames[bit];
  }
  return out.empty() ? "0" : out;
}

}  // namespace fsrace::model
