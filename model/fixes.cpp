#include "model/fixes.hpp"

#include "model/fix_catalogue.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace fsrace::model {

std::span<const fix_info> all_fixes() { return kFixes; }

const fix_info* find_fix(std::string_view id) {
  for (const auto& f : kFixes)
    if (id == f.id) return &f;
  return nullptr;
}

bool parse_kernel_version(std::string_view v, std::vector<int>& out) {
  out.clear();
  if (v.empty()) return false;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t dot = v.find('.', pos);
    std::string_view part = v.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    int n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc{} || p != part.data() + part.size() || n < 0) return false;
    out.push_back(n);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return out.size() <= 3;
}

int compare_kernel_versions(std::string_view a, std::string_view b) {
  std::vector<int> va, vb;
  if (!parse_kernel_version(a, va) || !parse_kernel_version(b, vb))
    throw std::invalid_argument(fmt::format("malformed kernel version '{}' or '{}'", a, b));
  va.resize(3, 0);
  vb.resize(3, 0);
  return va < vb ? -1 : (va == vb ? 0 : 1);
}

fix_set fix_set::all_on() {
  // Mainline history up to the declared kernel: d96b34248c2f superseded the send/relocation exclusion,
  // and the EXCL_OP review suggestion (kernel "99") was never merged, so it stays off.
  return for_kernel(kDeclaredKernel);
}

bool same_stable_series(std::string_view a, std::string_view b) {
  std::vector<int> va, vb;
  if (!parse_kernel_version(a, va) || !parse_kernel_version(b, vb))
    throw std::invalid_argument(fmt::format("malformed kernel version '{}' or '{}'", a, b));
  va.resize(2, 0);
  vb.resize(2, 0);
  return va[0] == vb[0] && va[1] == vb[1];
}

bool kernel_carries(const fix_info& f, std::string_view version) {
  if (compare_kernel_versions(f.kernel, version) <= 0) return true;
  // A backport counts only inside its own series: 6.1.50 carries a 6.5 fix backported to 6.1.42, 6.2 does not.
  return f.stable && same_stable_series(f.stable, version) && compare_kernel_versions(f.stable, version) <= 0;
}

fix_set fix_set::for_kernel(std::string_view version) {
  fix_set s;
  for (size_t i = 0; i < kFixes.size(); ++i)
    if (kernel_carries(kFixes[i], version)) s.bits_ |= 1ull << i;
  return s;
}

void fix_set::set(std::string_view id, bool on) {
  for (size_t i = 0; i < kFixes.size(); ++i) {
    if (id == kFixes[i].id) {
      if (on) bits_ |= 1ull << i; else bits_ &= ~(1ull << i);
      return;
    }
  }
  throw std::invalid_argument(fmt::format("unknown fix '{}'", id));
}

bool fix_set::has_named(std::string_view id) const {
  for (size_t i = 0; i < kFixes.size(); ++i)
    if (id == kFixes[i].id) return bits_ & (1ull << i);
  throw std::invalid_argument(fmt::format("unknown fix '{}'", id));
}

std::string fix_set::describe() const {
  std::string out;
  for (size_t i = 0; i < kFixes.size(); ++i)
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", kFixes[i].id, (bits_ >> i) & 1 ? "on" : "off");
  return out;
}

}  // namespace fsrace::model
