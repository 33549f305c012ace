// The catalogue of upstream btrfs fixes the model knows. Each is a toggle the model consults exactly
// where the kernel changed, so a scenario can run "before" and "after" a commit, or as a kernel version.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/fix_catalogue.hpp"
#include "model/fix_info.hpp"

namespace fsrace::model {

// The kernel the model follows (README "Declared kernel and audit"): Linux 6.1.192, Debian's
// linux-source-6.1 6.1.192-3. Every catalogue fix first released up to it is on by default.
inline constexpr const char* kDeclaredKernel = "6.1.192";
inline constexpr const char* kDeclaredKernelExact = "6.1.192 (Debian linux-source-6.1 6.1.192-3)";

// A catalogue fix named in model code: `fixes.has("020d5b7366fc")` converts the literal at compile time,
// so an id missing from model/fix_catalogue.hpp does not compile, and the lookup is a bit test.
class fix_id {
 public:
  consteval fix_id(std::string_view id) : index_(index_of(id)) {}
  consteval fix_id(const char* id) : fix_id(std::string_view(id)) {}
  std::size_t index() const { return index_; }

 private:
  static void not_in_the_fix_catalogue();  // never defined: reached only for an unknown id, at compile time
  static consteval std::size_t index_of(std::string_view id) {
    for (std::size_t i = 0; i < kFixes.size(); ++i)
      if (std::string_view(kFixes[i].id) == id) return i;
    not_in_the_fix_catalogue();
    return 0;
  }
  std::size_t index_;
};

std::span<const fix_info> all_fixes();
const fix_info* find_fix(std::string_view id);

// Compares dotted kernel versions numerically ("4.10" > "4.9"); returns false on malformed input.
bool parse_kernel_version(std::string_view v, std::vector<int>& out);
int compare_kernel_versions(std::string_view a, std::string_view b);
// Same major.minor ("6.1.42" and "6.1.192"): one stable series.
bool same_stable_series(std::string_view a, std::string_view b);
// `version` has the fix: mainline release at or before it, or a backport earlier in its stable series.
bool kernel_carries(const fix_info& f, std::string_view version);

class fix_set {
 public:
  // The declared kernel: every fix released up to kDeclaredKernel (never-merged alternatives stay off).
  static fix_set all_on();
  static fix_set all_off() { return fix_set{}; }
  // Every fix `version` carries: first released in it or earlier, or backported to its stable series
  // at or before it. The version must parse (checked by callers).
  static fix_set for_kernel(std::string_view version);

  void set(std::string_view id, bool on);  // id must be in the catalogue (asserted)
  bool has(fix_id id) const { return (bits_ >> id.index()) & 1; }
  bool has_named(std::string_view id) const;  // a run-time id (user input, tests); throws when unknown
  std::string describe() const;            // "f0e9b7d64019=on 020d5b7366fc=off ..." in catalogue order

 private:
  uint64_t bits_ = 0;  // bit i = all_fixes()[i]
};

}  // namespace fsrace::model
