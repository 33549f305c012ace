// PRNG: known-answer values (computed with an independent Python implementation of splitmix64 and
// xoshiro256** written from the papers; splitmix64(0) = 0xe220a8397b1dcdaf is the published reference),
// so a seed means the same schedule on every machine; plus range and uniformity of below().
#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>

#include "scheduler/prng.hpp"

using namespace fsrace::sched;

TEST_CASE("splitmix64 and execution_seed match the reference values") {
  uint64_t state = 0;
  CHECK(splitmix64(state) == 0xe220a8397b1dcdafULL);
  CHECK(splitmix64(state) == 0x6e789e6aa1b965f4ULL);
  CHECK(splitmix64(state) == 0x06c45d188009454fULL);
  CHECK(execution_seed(42, 0) == 0xbdd732262feb6e95ULL);
  CHECK(execution_seed(42, 1) == 0x28efe333b266f103ULL);
  CHECK(execution_seed(42, 2) == 0x47526757130f9f52ULL);
  CHECK(execution_seed(42, 1) != execution_seed(43, 1));
}

TEST_CASE("xoshiro256** seeded by splitmix64 matches the reference values") {
  Prng p42(42);
  CHECK(p42.next() == 0x15780b2e0c2ec716ULL);
  CHECK(p42.next() == 0x6104d9866d113a7eULL);
  CHECK(p42.next() == 0xae17533239e499a1ULL);
  CHECK(p42.next() == 0xecb8ad4703b360a1ULL);
  Prng p0(0);
  CHECK(p0.next() == 0x99ec5f36cb75f2b4ULL);
  CHECK(p0.next() == 0xbf6e1f784956452aULL);
  p42.reseed(42);
  CHECK(p42.next() == 0x15780b2e0c2ec716ULL);
}

TEST_CASE("below(n) matches Lemire's method on the reference stream") {
  Prng p(7);
  std::array<uint64_t, 8> got{};
  for (auto& g : got) g = p.below(10);
  CHECK(got == std::array<uint64_t, 8>{7, 2, 8, 9, 9, 8, 0, 1});
  p.reseed(7);
  for (auto& g : got) g = p.below(3);
  CHECK(got == std::array<uint64_t, 8>{2, 0, 2, 2, 2, 2, 0, 0});
}

TEST_CASE("below(n) stays in range and is close to uniform") {
  Prng p(123);
  CHECK(p.below(1) == 0);
  CHECK_THROWS_AS(p.below(0), std::invalid_argument);
  constexpr uint64_t kBuckets = 7, kDraws = 70000;
  std::array<uint64_t, kBuckets> count{};
  for (uint64_t i = 0; i < kDraws; ++i) {
    const uint64_t v = p.below(kBuckets);
    REQUIRE(v < kBuckets);
    ++count[v];
  }
  // Chi-square with 6 degrees of freedom: 22.46 is the 0.999 quantile.
  double chi2 = 0;
  const double expected = static_cast<double>(kDraws) / kBuckets;
  for (uint64_t c : count) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 22.46);
  // A range that is not a power of two and close to 2^63 exercises the rejection path.
  const uint64_t big = (1ULL << 63) + 12345;
  for (int i = 0; i < 1000; ++i) REQUIRE(p.below(big) < big);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = p.between(5, 9);
    REQUIRE(v >= 5);
    REQUIRE(v <= 9);
  }
}
