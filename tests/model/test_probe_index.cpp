// probe_index (the hash index of cow_map's frozen base and big delta) against std::map: random
// emplace, erase and find over a small key range (long probe runs, erases that shift entries back
// across the table's end), and cow_map's lookups through a big delta after erases.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "model/cow_map.hpp"
#include "model/probe_index.hpp"

using fsrace::model::cow_map;
using fsrace::model::probe_index;

TEST_CASE("probe_index: emplace, erase and find agree with std::map", "[model][probe_index]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    probe_index<uint64_t, uint64_t> idx;
    std::map<uint64_t, uint64_t> ref;
    const uint64_t range = 8 + seed * 13;
    for (int op = 0; op < 4000; ++op) {
      const uint64_t k = rng() % range * 4096;  // keys like the block numbers cow_map holds
      switch (rng() % 3) {
        case 0:
          REQUIRE(idx.emplace(k, op) == ref.emplace(k, op).second);  // neither replaces a present key
          break;
        case 1:
          idx.erase(k);
          ref.erase(k);
          break;
        default: break;
      }
      REQUIRE(idx.size() == ref.size());
      for (uint64_t q = 0; q < range; ++q) {
        const uint64_t* v = idx.find(q * 4096);
        auto it = ref.find(q * 4096);
        REQUIRE((v != nullptr) == (it != ref.end()));
        if (v) REQUIRE(*v == it->second);
      }
    }
    idx.clear();
    CHECK(idx.empty());
    CHECK(idx.find(0) == nullptr);
  }
}

TEST_CASE("cow_map: lookups through a big delta and a frozen base after erases", "[model][probe_index]") {
  cow_map<uint64_t, int> m;
  std::map<uint64_t, int> ref;
  for (uint64_t k = 0; k < 200; ++k) {
    m.put(k * 3, int(k));
    ref[k * 3] = int(k);
  }
  m.freeze();
  cow_map<uint64_t, int> c = m;  // a clone: frozen base, empty delta
  for (uint64_t k = 0; k < 400; k += 2) {
    c.put(k * 5, -int(k));  // a delta past the index threshold
    ref[k * 5] = -int(k);
  }
  for (uint64_t k = 0; k < 600; k += 7) {
    c.erase(k);
    ref.erase(k);
  }
  cow_map<uint64_t, int> copy = c;
  for (uint64_t k = 0; k < 2100; ++k) {
    auto it = ref.find(k);
    for (const auto* map : {&c, &copy}) {
      const int* v = map->find(k);
      REQUIRE((v != nullptr) == (it != ref.end()));
      if (v) REQUIRE(*v == it->second);
    }
  }
  CHECK(m.find(3 * 7) != nullptr);  // the original keeps its entries
}
