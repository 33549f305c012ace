// small_vector against std::vector: random push_back, erase (one and ranges), copies, moves and
// assignments across the in-place / heap boundary keep the same elements in the same order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "model/small_vector.hpp"

using fsrace::model::small_vector;

namespace {
struct elem {
  uint64_t a = 0, b = 7;
  uint8_t c = 1;
  bool operator==(const elem&) const = default;
  bool operator<(const elem& o) const { return a < o.a; }
};
template <size_t N>
void same(const small_vector<elem, N>& s, const std::vector<elem>& v) {
  REQUIRE(s.size() == v.size());
  REQUIRE(std::equal(s.begin(), s.end(), v.begin(), v.end()));
}
template <size_t N>
void run(uint64_t seed) {
  std::mt19937_64 rng(seed);
  small_vector<elem, N> s;
  std::vector<elem> v;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t r = rng();
    switch (r % 8) {
      case 0:
      case 1:
      case 2: {
        const elem e{r >> 8, r >> 16, uint8_t(r >> 24)};
        s.push_back(e);
        v.push_back(e);
        break;
      }
      case 3:
        if (!v.empty()) {  // an element of the vector itself, which may move while it grows
          s.push_back(s[(r >> 8) % s.size()]);
          v.push_back(v[(r >> 8) % v.size()]);
        }
        break;
      case 4:
        if (!v.empty()) {
          const size_t k = (r >> 8) % v.size();
          s.erase(s.begin() + k);
          v.erase(v.begin() + std::ptrdiff_t(k));
        }
        break;
      case 5:
        if (!v.empty()) {
          const size_t b = (r >> 8) % v.size(), e = b + (r >> 20) % (v.size() - b + 1);
          s.erase(s.begin() + b, s.begin() + e);
          v.erase(v.begin() + std::ptrdiff_t(b), v.begin() + std::ptrdiff_t(e));
        }
        break;
      case 6: {
        small_vector<elem, N> copy = s;  // copy, then changing the copy leaves s as it was
        same(copy, v);
        copy.push_back(elem{});
        same(s, v);
        small_vector<elem, N> moved = std::move(copy);
        REQUIRE(moved.size() == v.size() + 1);
        moved.pop_back();
        same(moved, v);
        s = moved;  // copy assignment over whatever s held
        same(s, v);
        s = std::move(moved);
        same(s, v);
        break;
      }
      default:
        if ((r >> 8) % 16 == 0) {
          s.clear();
          v.clear();
        }
        std::sort(s.begin(), s.end());
        std::sort(v.begin(), v.end());
        break;
    }
    same(s, v);
  }
}
}  // namespace

TEST_CASE("small_vector behaves as std::vector", "[model][small_vector]") {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    run<1>(seed);
    run<2>(seed);
    run<5>(seed);
  }
  small_vector<elem, 1> a{elem{1}, elem{2}}, b{elem{1}, elem{2}}, c{elem{1}};
  CHECK(a == b);
  CHECK_FALSE(a == c);
}
