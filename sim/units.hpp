#pragma once
// Sizes as people write them ("1GiB", "64KiB", 4096) and Linux errno names, for scenarios and messages.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fsrace::sim {

/// Parses a byte count: a non-negative integer followed by an optional binary unit B, K/KiB, M/MiB,
/// G/GiB, T/TiB (case-sensitive, no space or one space). On failure returns nullopt and sets `why`.
std::optional<uint64_t> parse_size(std::string_view text, std::string& why);
/// "1GiB", "64KiB", "4097" — the largest unit that divides the value exactly.
std::string format_size(uint64_t bytes);

/// "EINVAL" for 22 or -22; "" when unknown.
const char* errno_name(int err);
/// 22 for "EINVAL" (or "-EINVAL"); 0 when unknown.
int errno_from_name(std::string_view name);
/// "-EINVAL" for -22, "-1234" when the name is unknown.
std::string format_errno(int ret);
/// Every errno name known, for suggestions.
const std::vector<std::string>& errno_names();

}  // namespace fsrace::sim
