#include "scheduler/label.hpp"

#include <cstring>

#include <fmt/format.h>

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

inline void fnv_byte(uint64_t& h, unsigned char c) { h = (h ^ c) * kFnvPrime; }
inline void fnv_string(uint64_t& h, const char* s) {
  for (; *s; ++s) fnv_byte(h, static_cast<unsigned char>(*s));
}
inline void fnv_u64(uint64_t& h, uint64_t v) {  // little-endian byte order on every machine
  for (int i = 0; i < 8; ++i) fnv_byte(h, static_cast<unsigned char>(v >> (8 * i)));
}
}  // namespace

uint64_t label_hash(const Label& label) {
  uint64_t h = kFnvOffset;
  fnv_string(h, label.text ? label.text : "");
  fnv_byte(h, 0);
  if (label.str) {
    fnv_byte(h, 1);
    fnv_string(h, label.str);
    fnv_byte(h, 0);
  } else {
    fnv_byte(h, 2);
  }
  fnv_u64(h, label.a);
  fnv_u64(h, label.b);
  return h;
}

bool same_label(const Label& x, const Label& y) {
  if (x.a != y.a || x.b != y.b) return false;
  if (std::strcmp(x.text ? x.text : "", y.text ? y.text : "") != 0) return false;
  if (!x.str || !y.str) return x.str == y.str;
  return std::strcmp(x.str, y.str) == 0;
}

}  // namespace fsrace::sched
