// Which fixes a kernel version carries: mainline releases, and backports within one stable series.
#include <catch2/catch.hpp>

#include "model/fixes.hpp"

using namespace fsrace::model;

TEST_CASE("a kernel version carries mainline fixes up to it and stable backports of its own series only",
          "[model][fixes]") {
  // 67c5e7d464bc: mainline 4.2. b19c98f237cd: mainline 6.5, 6.1.42 stable. 29eefa6d0d07: 6.5, 6.1.47.
  const fix_set v6_1 = fix_set::for_kernel("6.1");
  CHECK(v6_1.has_named("67c5e7d464bc"));
  CHECK_FALSE(v6_1.has_named("b19c98f237cd"));  // 6.1 is 6.1.0
  const fix_set v6_1_42 = fix_set::for_kernel("6.1.42");
  CHECK(v6_1_42.has_named("b19c98f237cd"));
  CHECK_FALSE(v6_1_42.has_named("29eefa6d0d07"));
  CHECK(fix_set::for_kernel("6.1.47").has_named("29eefa6d0d07"));
  // Another series has a backport only from the mainline release on.
  CHECK_FALSE(fix_set::for_kernel("6.2").has_named("b19c98f237cd"));
  CHECK_FALSE(fix_set::for_kernel("6.4.99").has_named("b19c98f237cd"));
  CHECK(fix_set::for_kernel("6.5").has_named("b19c98f237cd"));
  // The declared kernel, 6.1.192, has both; never-merged alternatives stay off.
  CHECK(fix_set::all_on().has_named("b19c98f237cd"));
  CHECK(fix_set::all_on().has_named("29eefa6d0d07"));
  CHECK_FALSE(fix_set::all_on().has_named("excl_op"));
  // 978b63f7464a: mainline 6.9, no 6.1.y release carries it, so the declared kernel has its race.
  CHECK_FALSE(fix_set::all_on().has_named("978b63f7464a"));
  CHECK_FALSE(fix_set::for_kernel("6.1.192").has_named("978b63f7464a"));
  CHECK(fix_set::for_kernel("6.9").has_named("978b63f7464a"));
  CHECK(std::string(kDeclaredKernel) == "6.1.192");
}

TEST_CASE("same_stable_series compares major and minor only", "[model][fixes]") {
  CHECK(same_stable_series("6.1.42", "6.1.192"));
  CHECK(same_stable_series("6.1", "6.1.5"));
  CHECK_FALSE(same_stable_series("6.1.42", "6.10"));
  CHECK_FALSE(same_stable_series("5.1", "6.1"));
}
