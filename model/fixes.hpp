// The catalogue of upstream btrfs fixes the model knows. Each is a toggle the model consults exactly
// where the kernel changed, so a scenario can run "before" and "after" a commit, or as a kernel version.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fsrace::model {

// The kernel the model follows (README "Declared kernel and audit"): Linux 6.1.192, Debian's
// linux-source-6.1 6.1.192-3. Every catalogue fix first released up to it is on by default.
inline constexpr const char* kDeclaredKernel = "6.1";
inline constexpr const char* kDeclaredKernelExact = "6.1.192 (Debian linux-source-6.1 6.1.192-3)";

struct fix_info {
  const char* id;       // first 12 hex digits of the upstream commit
  const char* title;    // upstream subject line
  const char* kernel;   // first mainline release carrying it, e.g. "4.7"
  const char* changes;  // what the model does differently with the fix on
};

std::span<const fix_info> all_fixes();
const fix_info* find_fix(std::string_view id);

// Compares dotted kernel versions numerically ("4.10" > "4.9"); returns false on malformed input.
bool parse_kernel_version(std::string_view v, std::vector<int>& out);
int compare_kernel_versions(std::string_view a, std::string_view b);

class fix_set {
 public:
  // The declared kernel: every fix released up to kDeclaredKernel (never-merged alternatives stay off).
  static fix_set all_on();
  static fix_set all_off() { return fix_set{}; }
  // Every fix first released in `version` or earlier. The version must parse (checked by callers).
  static fix_set for_kernel(std::string_view version);

  void set(std::string_view id, bool on);  // id must be in the catalogue (asserted)
  bool has(std::string_view id) const;
  std::string describe() const;            // "f0e9b7d64019=on 020d5b7366fc=off ..." in catalogue order

 private:
  uint64_t bits_ = 0;  // bit i = all_fixes()[i]
};

}  // namespace fsrace::model
