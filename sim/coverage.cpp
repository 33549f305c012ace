#include "sim/coverage.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace fsrace::sim {
namespace {

std::string about(double n) {
  if (n >= 1e9) return fmt::format("{:.1f} billion", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f} million", n / 1e6);
  return fmt::format("{:.0f}", n);
}

// The 95% interval of the estimate (two standard errors), at least 1%.
std::string plus_minus(double relative_error) {
  return fmt::format("±{:.0f}%", std::max(1.0, std::round(200 * relative_error)));
}

}  // namespace

std::string coverage_phrase(const coverage_facts& f) {
  const uint64_t n = f.executions;
  std::string out;
  if (f.exhausted) out = "the bounded space is exhausted";
  else if (!f.systematic) out = fmt::format("a sample of {} execution{}", n, n == 1 ? "" : "s");
  else if (f.estimate <= 0) out = fmt::format("not exhausted: {} executions", n);
  else if (!f.estimate_settled)
    // The probes disagree (or ran too deep): a number would pretend to knowledge there is none.
    out = fmt::format("not exhausted: {} executions of an unknown total (the random-probe estimate did not settle)", n);
  else if (f.reduced)
    out = fmt::format("not exhausted: {} executions; the bounded DFS space it reduces holds about {} ({})", n,
                      about(f.estimate), plus_minus(f.estimate_error));
  else if (f.estimate > static_cast<double>(n))
    out = fmt::format("not exhausted: {} of about {} executions ({})", n, about(f.estimate), plus_minus(f.estimate_error));
  else
    out = fmt::format("not exhausted: {} executions and more remain (the estimate of the whole, about {}, runs low)", n,
                      about(f.estimate));
  if (f.time_up) out += "; stopped by the time budget";
  return out;
}

}  // namespace fsrace::sim
