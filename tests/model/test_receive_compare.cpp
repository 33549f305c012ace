// compare_received keeps, per thread, which file contents it found equal by their cow_vector payload
// ids: a content changed since (in place or by a copy: a new id) must be compared again and reported.
#include <catch2/catch.hpp>

#include "model/maint/receive_mirror.hpp"

using namespace fsrace::model;

namespace {
received_subvol one_file(uint8_t fill) {
  received_subvol sv;
  sv.paths[""] = 1;
  sv.inodes[1].dir = true;
  sv.paths["f"] = 2;
  sv.inodes[2].data = std::vector<uint8_t>(8192, fill);
  return sv;
}
}  // namespace

TEST_CASE("compare_received: a file changed after an equal comparison is compared again", "[model][send]") {
  received_subvol got = one_file(7), want = one_file(7);
  REQUIRE(compare_received(got, want).empty());
  REQUIRE(compare_received(got, want).empty());  // the second one is the memo's
  SECTION("got changed in place") {
    got.inodes[2].data[4097] = 8;
    const auto d = compare_received(got, want);
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "f: content differs from offset 4097");
  }
  SECTION("want changed in place") {
    want.inodes[2].data[5] = 9;
    const auto d = compare_received(got, want);
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "f: content differs from offset 5");
  }
  SECTION("a copy of got changed, the original still equal") {
    received_subvol copy = got;
    copy.inodes[2].data[0] = 1;
    CHECK(compare_received(copy, want).size() == 1);
    CHECK(compare_received(got, want).empty());
  }
}
