// Deterministic data patterns for writes: the byte at file offset x of pattern `seed` depends only on
// (seed, x), so any sector can be regenerated and a mismatch can name the pattern it expected.
// Byte x is byte (x % 8) (little-endian) of mix64(seed * golden + x / 8 + 1).
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>

#include "scheduler/prng.hpp"

namespace fsrace::model {

inline void fill_pattern(uint64_t seed, uint64_t file_offset, std::span<uint8_t> out) {
  const uint64_t base = seed * 0x9e3779b97f4a7c15ULL + 1;
  size_t i = 0;
  const size_t n = out.size();
  while (i < n && (file_offset + i) % 8 != 0) {  // head, up to the first whole word
    const uint64_t x = file_offset + i;
    out[i++] = uint8_t(sched::mix64(base + x / 8) >> (8 * (x % 8)));
  }
  for (; i + 8 <= n; i += 8) {  // whole words
    const uint64_t w = sched::mix64(base + (file_offset + i) / 8);
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out.data() + i, &w, 8);
    } else {
      for (int b = 0; b < 8; b++) out[i + b] = uint8_t(w >> (8 * b));
    }
  }
  for (; i < n; i++) {  // tail
    const uint64_t x = file_offset + i;
    out[i] = uint8_t(sched::mix64(base + x / 8) >> (8 * (x % 8)));
  }
}

}  // namespace fsrace::model
