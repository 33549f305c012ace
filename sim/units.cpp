#include "sim/units.hpp"

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace fsrace::sim {
namespace {

struct unit {
  const char* name;
  int shift;
};
constexpr unit kUnits[] = {{"B", 0},   {"K", 10},  {"KiB", 10}, {"M", 20},  {"MiB", 20},
                           {"G", 30},  {"GiB", 30}, {"T", 40},  {"TiB", 40}};

struct errno_entry {
  int value;
  const char* name;
};
// Linux values of the errnos btrfs returns to user space (<cerrno> on Linux).
constexpr errno_entry kErrnos[] = {
    {EPERM, "EPERM"},     {ENOENT, "ENOENT"},       {EINTR, "EINTR"},         {EIO, "EIO"},
    {ENXIO, "ENXIO"},     {E2BIG, "E2BIG"},         {EBADF, "EBADF"},         {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},   {EACCES, "EACCES"},       {EFAULT, "EFAULT"},       {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},   {EXDEV, "EXDEV"},         {ENODEV, "ENODEV"},       {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},   {EINVAL, "EINVAL"},       {ENFILE, "ENFILE"},       {EMFILE, "EMFILE"},
    {ENOTTY, "ENOTTY"},   {EFBIG, "EFBIG"},         {ENOSPC, "ENOSPC"},       {ESPIPE, "ESPIPE"},
    {EROFS, "EROFS"},     {EMLINK, "EMLINK"},       {ERANGE, "ERANGE"},       {EDEADLK, "EDEADLK"},
    {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
    {ENODATA, "ENODATA"}, {EOVERFLOW, "EOVERFLOW"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {ESTALE, "ESTALE"},
    {ETIMEDOUT, "ETIMEDOUT"}, {ECANCELED, "ECANCELED"}, {EUCLEAN, "EUCLEAN"}, {EDQUOT, "EDQUOT"},
};

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text, std::string& why) {
  std::string_view s = text;
  if (s.empty()) {
    why = "expected a size such as 4096, \"64KiB\" or \"1GiB\", got an empty string";
    return std::nullopt;
  }
  if (s.front() == '-') {
    why = fmt::format("expected a non-negative size, got \"{}\"", text);
    return std::nullopt;
  }
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (p == s.data()) {
    why = fmt::format("expected a size such as 4096, \"64KiB\" or \"1GiB\", got \"{}\"", text);
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    why = fmt::format("size \"{}\" does not fit in 64 bits", text);
    return std::nullopt;
  }
  std::string_view rest = s.substr(static_cast<size_t>(p - s.data()));
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return n;
  for (const auto& u : kUnits) {
    if (rest != u.name) continue;
    if (u.shift && n > (~0ULL >> u.shift)) {
      why = fmt::format("size \"{}\" does not fit in 64 bits", text);
      return std::nullopt;
    }
    return n << u.shift;
  }
  if (rest == "KB" || rest == "MB" || rest == "GB" || rest == "TB" || rest == "kB" || rest == "k")
    why = fmt::format("unit \"{}\" in \"{}\" is ambiguous; use a binary unit: B, KiB, MiB, GiB, TiB", rest, text);
  else
    why = fmt::format("unknown unit \"{}\" in \"{}\"; expected one of B, K, KiB, M, MiB, G, GiB, T, TiB", rest,
                      text);
  return std::nullopt;
}

std::string format_size(uint64_t bytes) {
  static constexpr struct { const char* name; int shift; } kShow[] = {{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}};
  if (bytes == 0) return "0";
  for (const auto& u : kShow)
    if ((bytes & ((1ULL << u.shift) - 1)) == 0) return fmt::format("{}{}", bytes >> u.shift, u.name);
  return fmt::format("{}", bytes);
}

const char* errno_name(int err) {
  if (err < 0) err = -err;
  for (const auto& e : kErrnos)
    if (e.value == err) return e.name;
  return "";
}

int errno_from_name(std::string_view name) {
  if (!name.empty() && name.front() == '-') name.remove_prefix(1);
  for (const auto& e : kErrnos)
    if (name == e.name) return e.value;
  return 0;
}

std::string format_errno(int ret) {
  const char* name = errno_name(ret);
  if (*name) return fmt::format("{}{}", ret < 0 ? "-" : "", name);
  return fmt::format("{}", ret);
}

const std::vector<std::string>& errno_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : kErrnos) v.emplace_back(e.name);
    return v;
  }();
  return names;
}

}  // namespace fsrace::sim
