#pragma once
// A scenario as loaded from JSON and validated against the catalogue (see scenarios/README.md and
// scenarios/schema.json for the file format). Once built it is never moved: labels of executions point
// into its strings.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/fixes.hpp"
#include "scheduler/finding.hpp"
#include "sim/catalogue.hpp"
#include "sim/params.hpp"

namespace fsrace::sim {

struct op_call {
  const op_spec* spec = nullptr;
  params args;
  std::vector<int> allowed_errors;  // negative errnos: the op's own plus the call's "allow_errors"
  uint32_t repeat = 1;
  std::string path;     // JSON pointer of the call: "/threads/1/ops/3"
  std::string display;  // "scrub(dev=0)": the label of the step that starts the call
};

struct thread_spec {
  std::string name;  // unique; "writer.0", "writer.1" for a thread with "count": 2
  std::vector<op_call> ops;
  std::string path;  // "/threads/1"
};

struct invariant_use {
  const invariant_spec* spec = nullptr;
  params args;
  std::string path;
};

struct filesystem_spec {
  std::vector<uint64_t> devices;  // bytes (the model's mkfs), or empty with `images`
  std::vector<uint64_t> spare_devices;  // bytes: block devices outside the filesystem (device_add)
  // Device image files to start from instead of the model's mkfs (absolute paths; device i is devid i + 1).
  std::vector<std::string> images;
  // Files the scenario uses that no operation creates: with `images`, names the images must hold (in the
  // top directory of the default subvolume), checked once the filesystem is read.
  struct image_name {
    std::string kind, name, path;  // path: the JSON path of the use
  };
  std::vector<image_name> image_names;
  std::string data_profile = "single", metadata_profile = "dup", system_profile = "dup";
  uint32_t sectorsize = 4096, nodesize = 16384;
  bool discard = false;  // mount_options "discard" / "discard=sync": DISCARD_SYNC
  bool flushoncommit = false;  // mount_options "flushoncommit": FLUSHONCOMMIT
  std::vector<op_call> setup;
};

/// Which fixes a scenario is about ("under test", flipped by --fixes on|off) and the state of all others.
struct fixes_spec {
  enum class base_kind { all, none, kernel };
  std::vector<std::string> test;  // fix ids under test, catalogue order
  base_kind base = base_kind::all;
  std::string base_kernel;  // for base_kind::kernel
  std::string describe() const;  // "test 9e967495e0e0 on base kernel 5.2"
};

/// One fix setting: the fixes under test on or off, then per-fix overrides (CLI: --fixes X --fix ID=on).
struct fix_setting {
  bool on = true;
  std::vector<std::pair<std::string, bool>> overrides;  // in the order given; later ones win

  /// "on", "off", "off+f78c436c3931=on" — short, for report names.
  std::string describe() const;
  /// "--fixes off --fix f78c436c3931=on" — for replay commands.
  std::string cli_args() const;
  bool operator==(const fix_setting&) const = default;
};

/// The concrete fixes of one execution.
model::fix_set resolve_fixes(const fixes_spec&, const fix_setting&);

enum class strategy_kind { random, pct, dfs, dpor };
const char* to_string(strategy_kind);
std::optional<strategy_kind> parse_strategy(std::string_view);
/// A systematic strategy enumerates a space it can exhaust (dfs, dpor); the others sample it
/// (sim/search/search.cpp's table says which).
bool is_systematic(strategy_kind k);

struct explore_settings {
  strategy_kind strategy = strategy_kind::pct;
  uint64_t runs = 1000;          // executions at most (dfs: stops earlier when the space is exhausted)
  uint32_t depth = 3;            // pct: bug depth d (d-1 priority change points)
  uint32_t preemptions = 2;      // dfs, dpor: preemption bound
  uint64_t max_steps = 200000;   // steps per execution before it ends as step-limit (livelock)
  uint64_t seed = 0;             // base seed: execution i runs with sched::execution_seed(seed, i)
  /// "exhaustive": must a clean verdict cover the whole (bounded) space? Default: yes for the systematic
  /// strategies (dfs), no for the sampling ones (random, pct), which can never cover it.
  std::optional<bool> exhaustive;
  bool requires_exhaustive() const { return exhaustive.value_or(is_systematic(strategy)); }
  bool operator==(const explore_settings&) const = default;
};

struct expectation {
  fix_setting fixes;
  bool violation = false;  // false: every execution must be clean
  std::optional<sched::FindingKind> kind;  // required kind of the violation, if given
  std::string message_contains;            // required substring of its message, if non-empty
  explore_settings explore;  // the scenario's settings with this expectation's overrides applied
  std::string path;          // "/expectations/0"
  std::string describe() const;  // "violation BUG containing \"...\"", "clean"
};

struct references {
  std::vector<std::string> commits, fstests, links;
};

struct scenario {
  std::string file;  // as given by the user
  std::string name, title;
  references refs;
  filesystem_spec filesystem;
  std::vector<thread_spec> threads;
  fixes_spec fixes;
  std::vector<invariant_use> invariants;  // end-of-execution checks (user_errors is not among them)
  bool check_user_errors = true;          // "user_errors" invariant: unexpected negative errno = violation
  std::vector<expectation> expectations;
  explore_settings explore;

  scenario() = default;
  scenario(const scenario&) = delete;  // labels point into it: never copy or move after loading
  scenario& operator=(const scenario&) = delete;
};

/// Finding kinds a scenario may expect, by their names in sched::to_string.
std::optional<sched::FindingKind> parse_finding_kind(std::string_view);
std::vector<std::string> expectable_kind_names();

}  // namespace fsrace::sim
