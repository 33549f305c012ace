// The test helper that hides the sanitizer runtime's ucontext notice from captured stderr drops that
// line only.
#include <catch2/catch.hpp>

#include "tests/sanitizer_output.hpp"

TEST_CASE("without_asan_ucontext_warning drops the runtime's notice and nothing else") {
  const std::string notice =
      "==28009==WARNING: ASan doesn't fully support makecontext/swapcontext functions and may produce false positives in "
      "some cases!\n";
  CHECK(without_asan_ucontext_warning(notice + "fsrace: error: x\n") == "fsrace: error: x\n");
  CHECK(without_asan_ucontext_warning("a\n" + notice + "b\n") == "a\nb\n");
  CHECK(without_asan_ucontext_warning("a\nb\n") == "a\nb\n");
  CHECK(without_asan_ucontext_warning("==1==ERROR: AddressSanitizer: heap-use-after-free\n") ==
        "==1==ERROR: AddressSanitizer: heap-use-after-free\n");  // a real report stays
}
