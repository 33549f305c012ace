// Deterministic data patterns for writes: the byte at file offset x of pattern `seed` depends only on
// (seed, x), so any sector can be regenerated and a mismatch can name the pattern it expected.
#pragma once
#include <cstdint>
#include <span>

#include "scheduler/prng.hpp"

namespace fsrace::model {

inline void fill_pattern(uint64_t seed, uint64_t file_offset, std::span<uint8_t> out) {
  // One mix64 per 8-byte word at absolute offsets, so unaligned writes agree with aligned ones.
  uint64_t word_index = file_offset / 8, word = sched::mix64(seed * 0x9e3779b97f4a7c15ULL + word_index + 1);
  for (size_t i = 0; i < out.size(); i++) {
    const uint64_t x = file_offset + i;
    if (x / 8 != word_index) {
      word_index = x / 8;
      word = sched::mix64(seed * 0x9e3779b97f4a7c15ULL + word_index + 1);
    }
    out[i] = uint8_t(word >> (8 * (x % 8)));
  }
}

}  // namespace fsrace::model
