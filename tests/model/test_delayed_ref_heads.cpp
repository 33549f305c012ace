// delayed_ref_heads: the ordered map of a transaction's delayed ref heads with a hash index beside it.
// Every operation agrees with a std::map given the same calls (order of iteration, lookups, extract,
// erase, copies), whatever order the heads are added in.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <vector>

#include "model/delayed_ref_heads.hpp"

using fsrace::model::delayed_ref_heads;

namespace {
struct head {
  uint64_t bytenr = 0;
  int ref_mod = 0;
};

template <class A, class B>
void same(const A& a, const B& b) {
  std::vector<std::pair<uint64_t, int>> va, vb;
  for (const auto& [k, h] : a) va.emplace_back(k, h.ref_mod);
  for (const auto& [k, h] : b) vb.emplace_back(k, h.ref_mod);
  REQUIRE(va == vb);
  REQUIRE(a.size() == b.size());
}
}  // namespace

TEST_CASE("delayed_ref_heads behaves as the std::map it replaces", "[model][delayed_ref]") {
  delayed_ref_heads<head> h;
  std::map<uint64_t, head> m;
  uint64_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // Mostly ascending keys (new blocks), some anywhere below.
    const uint64_t key = (x >> 60) < 12 ? uint64_t(i) * 16 : (x >> 20) % (uint64_t(i) * 16 + 1);
    switch ((x >> 33) % 5) {
      case 0:
      case 1:
        h[key].ref_mod += 1;
        m[key].ref_mod += 1;
        break;
      case 2: {
        auto a = h.extract(key);
        auto b = m.extract(key);
        REQUIRE(a.empty() == b.empty());
        if (!a.empty()) REQUIRE(a.mapped().ref_mod == b.mapped().ref_mod);
        break;
      }
      case 3:
        REQUIRE(h.erase(key) == m.erase(key));
        break;
      default: {
        auto a = h.find(key);
        auto b = m.find(key);
        REQUIRE((a == h.end()) == (b == m.end()));
        REQUIRE(h.contains(key) == m.contains(key));
        if (a != h.end()) {
          a->second.ref_mod -= 1;
          b->second.ref_mod -= 1;
          REQUIRE(h.at(key).ref_mod == m.at(key).ref_mod);
        }
        break;
      }
    }
    if (i % 500 == 0) same(h, m);
  }
  same(h, m);
  delayed_ref_heads<head> copy = h;  // a copy has its own index: changing it leaves h as it was
  for (auto it = copy.begin(); it != copy.end();) it = copy.erase(it);
  CHECK(copy.empty());
  for (const auto& [k, v] : m) CHECK(copy.find(k) == copy.end());
  same(h, m);
  for (const auto& [k, v] : m) REQUIRE(h.find(k) != h.end());
  delayed_ref_heads<head> moved = std::move(h);
  same(moved, m);
  for (const auto& [k, v] : m) REQUIRE(moved.at(k).ref_mod == v.ref_mod);
}
