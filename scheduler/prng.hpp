#pragma once
// The project's only source of randomness: fixed algorithms, so a seed means the same thing on every
// machine and every standard library (std:: distributions are implementation-defined; never use them).
#include <cstdint>
#include <stdexcept>

namespace fsrace::sched {

/// splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

/// splitmix64 generator: advances state by the golden gamma and mixes it.
constexpr uint64_t splitmix64(uint64_t& state) {
  state += kGoldenGamma;
  return mix64(state);
}

/// Seed of execution `index` (0-based) of a run started with `base_seed`: the (index+1)-th output of a
/// splitmix64 generator seeded with base_seed, i.e. mix64(base_seed + (index + 1) * golden_gamma).
/// Random access, so one execution can be replayed from (base_seed, index) or from its own seed alone.
constexpr uint64_t execution_seed(uint64_t base_seed, uint64_t index) {
  return mix64(base_seed + (index + 1) * kGoldenGamma);
}

/// xoshiro256** 1.0 (Blackman, Vigna 2018), state filled by splitmix64 from one 64-bit seed.
class Prng {
 public:
  explicit constexpr Prng(uint64_t seed = 0) { reseed(seed); }

  constexpr void reseed(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  constexpr uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, n), n > 0, without bias: Lemire's multiply-shift with rejection (ACM TOMACS 2019).
  constexpr uint64_t below(uint64_t n) {
    if (n == 0) throw std::invalid_argument("Prng::below(0): empty range");
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
      while (low < threshold) {                // each retry succeeds with probability > 1/2
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  /// Uniform in [lo, hi] (inclusive), lo <= hi.
  constexpr uint64_t between(uint64_t lo, uint64_t hi) {
    const uint64_t span = hi - lo;
    return span == ~0ULL ? next() : lo + below(span + 1);
  }

  /// True with probability num/den (den > 0).
  constexpr bool chance(uint64_t num, uint64_t den) { return below(den) < num; }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4] = {};
};

using Xoshiro256ss = Prng;

}  // namespace fsrace::sched
