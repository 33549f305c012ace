#include "scheduler/label.hpp"

#include <cstring>

#include <fmt/format.h>

#include "scheduler/prng.hpp"

namespace fsrace::sched {

std::string format_label(const Label& label) {
  const char* text = label.text ? label.text : "";
  try {
    if (label.str) return fmt::format(fmt::runtime(text), label.str, label.a, label.b);
    return fmt::format(fmt::runtime(text), label.a, label.b);
  } catch (const fmt::format_error& e) {
    return fmt::format("{} [bad label format: {}]", text, e.what());
  }
}

namespace {
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

/// FNV-1a over the bytes of a NUL-terminated string.
uint64_t string_hash(const char* s) {
  uint64_t h = kFnvOffset;
  for (; *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * kFnvPrime;
  return h;
}

/// Hash of a label's text, cached by pointer: texts are string literals (immutable, static), so the
/// cache can never change a result; it only avoids rehashing the same literal at every step.
uint64_t text_hash(const char* text) {
  struct Entry {
    const char* text;
    uint64_t hash;
  };
  thread_local Entry cache[512] = {};
  Entry& e = cache[(reinterpret_cast<uintptr_t>(text) >> 3) & 511];
  if (e.text != text) e = Entry{text, string_hash(text)};
  return e.hash;
}
}  // namespace

uint64_t label_hash(const Label& label) {
  // Only bytes and integers enter the hash (never addresses), so it is the same in every process.
  // str is hashed every time: it is short, and caching it by address would trust its immutability.
  uint64_t h = text_hash(label.text ? label.text : "");
  h = mix64(h ^ (label.str ? string_hash(label.str) : 0x9ae16a3b2f90404fULL));
  h = mix64(h ^ label.a);
  return mix64(h + kGoldenGamma * (label.b + 1));
}

bool same_label(const Label& x, const Label& y) {
  if (x.a != y.a || x.b != y.b) return false;
  if (std::strcmp(x.text ? x.text : "", y.text ? y.text : "") != 0) return false;
  if (!x.str || !y.str) return x.str == y.str;
  return std::strcmp(x.str, y.str) == 0;
}

}  // namespace fsrace::sched
