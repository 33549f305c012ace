// Pure building blocks of the data paths: range sets, crc32c, data patterns.
#include <catch2/catch.hpp>

#include <string>

#include "model/data/csum.hpp"
#include "model/data/data_pattern.hpp"
#include "model/data/range_set.hpp"

using namespace fsrace::model;

TEST_CASE("range_set merges splits and measures byte ranges", "[data][range_set]") {
  range_set r;
  r.add(0, 4096);
  r.add(8192, 12288);
  r.add(4096, 8192);  // bridges the two
  REQUIRE(r.ranges().size() == 1);
  CHECK(r.covers(0, 12288));
  r.remove(4000, 5000);
  CHECK(r.ranges().size() == 2);
  CHECK(r.contains(3999));
  CHECK_FALSE(r.contains(4000));
  CHECK_FALSE(r.contains(4999));
  CHECK(r.contains(5000));
  CHECK(r.bytes_in(0, 12288) == 12288 - 1000);
  CHECK(r.total_bytes() == 12288 - 1000);
  CHECK(r.intersects(4500, 5001));
  CHECK_FALSE(r.intersects(4500, 5000));
  auto f = r.first_from(4500);
  REQUIRE(f);
  CHECK(f->first == 5000);
  f = r.first_from(100);
  REQUIRE(f);
  CHECK(f->first == 0);
  r.remove(0, ~0ull);
  CHECK(r.empty());
}

TEST_CASE("crc32c matches the Castagnoli check value", "[data][csum]") {
  const std::string s = "123456789";
  const uint32_t c = ~crc32c(~0u, {reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  CHECK(c == 0xE3069283u);
  // Slicing-by-8 and the byte loop agree on unaligned lengths.
  std::vector<uint8_t> buf(4099);
  for (size_t i = 0; i < buf.size(); i++) buf[i] = uint8_t(i * 7 + 3);
  uint32_t bytewise = ~0u;
  for (uint8_t b : buf) bytewise = crc32c(bytewise, {&b, 1});
  CHECK(crc32c(~0u, buf) == bytewise);
  CHECK(crc32c_portable(~0u, buf) == bytewise);  // the table path agrees with the instruction path
  CHECK(~crc32c_portable(~0u, {reinterpret_cast<const uint8_t*>(s.data()), s.size()}) == 0xE3069283u);
}

TEST_CASE("data patterns depend only on seed and absolute offset", "[data][pattern]") {
  std::vector<uint8_t> whole(100), part(37);
  fill_pattern(7, 1000, whole);
  fill_pattern(7, 1013, part);
  CHECK(std::equal(part.begin(), part.end(), whole.begin() + 13));
  std::vector<uint8_t> other(100);
  fill_pattern(8, 1000, other);
  CHECK(other != whole);
  // Byte x is byte x % 8 of mix64(seed * golden + x / 8 + 1): the documented definition.
  for (uint64_t x = 1000; x < 1100; x++) {
    const uint64_t w = fsrace::sched::mix64(7 * 0x9e3779b97f4a7c15ULL + 1 + x / 8);
    CHECK(whole[x - 1000] == uint8_t(w >> (8 * (x % 8))));
  }
}
