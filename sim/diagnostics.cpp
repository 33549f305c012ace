#include "sim/diagnostics.hpp"

#include <algorithm>

namespace fsrace::sim {
namespace {

std::string join_diagnostics(const std::vector<diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions, "yeild" -> "yield" = 1),
// case-insensitive; names are short so the quadratic cost does not matter.
size_t edit_distance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string diagnostic::to_string() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

input_error::input_error(std::vector<diagnostic> diags)
    : std::runtime_error(join_diagnostics(diags)), diags_(std::move(diags)) {}

void diagnostics_sink::throw_if_any() {
  if (!diags_.empty()) throw input_error(std::move(diags_));
}

std::vector<std::string> close_names(std::string_view given, const std::vector<std::string>& known) {
  // Known names are short: a long string is no typo of one (and would cost a large distance matrix).
  if (given.size() > 64) return {};
  // Distance allowed grows with the length: a typo or two in a long name, one in a short one.
  const size_t allowed = std::max<size_t>(1, given.size() / 3);
  std::vector<std::pair<size_t, size_t>> scored;  // (distance, index in known)
  for (size_t i = 0; i < known.size(); ++i) {
    size_t d = edit_distance(given, known[i]);
    const bool prefix = given.size() >= 3 && (known[i].rfind(given, 0) == 0 || given.rfind(known[i], 0) == 0);
    if (prefix) d = std::min<size_t>(d, 1);
    if (d <= allowed) scored.emplace_back(d, i);
  }
  std::stable_sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(known[scored[i].second]);
  return out;
}

std::string did_you_mean(std::string_view given, const std::vector<std::string>& known) {
  auto close = close_names(given, known);
  if (close.empty()) return {};
  std::string out = " (did you mean ";
  for (size_t i = 0; i < close.size(); ++i) {
    if (i) out += i + 1 == close.size() ? " or " : ", ";
    out += "'" + close[i] + "'";
  }
  return out + "?)";
}

}  // namespace fsrace::sim
