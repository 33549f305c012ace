#pragma once
// A Label says what a fiber is about to do. It is cheap to build (no formatting, no allocation) because
// one is built at every scheduling point; it is formatted only when a trace is shown.
#include <cstdint>
#include <string>

namespace fsrace::sched {

struct Label {
  const char* text = "";      // string LITERAL in fmt syntax, e.g. "btrfs_inc_block_group_ro(bg {})"
  const char* str = nullptr;  // optional static-lifetime string arg; if set it is the FIRST fmt arg
  uint64_t a = 0, b = 0;      // integer args following it (fmt ignores unused args)
};

/// Label with integer arguments only.
inline Label L(const char* text, uint64_t a = 0, uint64_t b = 0) { return Label{text, nullptr, a, b}; }
/// Label whose first argument is a static string (lock name, fiber name, ...).
inline Label Ls(const char* text, const char* str, uint64_t a = 0, uint64_t b = 0) {
  return Label{text, str, a, b};
}

/// The label as text ("mutex_lock(balance_mutex)"); a malformed format string is shown, not thrown.
std::string format_label(const Label&);
/// Stable across processes and machines: FNV-1a of the bytes of text and of str (never their
/// addresses), combined with a and b by the splitmix64 mixer.
uint64_t label_hash(const Label&);
/// True when both labels denote the same text and arguments (compares bytes, not pointers).
bool same_label(const Label&, const Label&);

}  // namespace fsrace::sched
