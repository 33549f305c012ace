#include "sim/btrfs_check_image.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "model/ondisk/image.hpp"
#include "scheduler/prng.hpp"
#include "scheduler/strategy.hpp"
#include "sim/explore.hpp"
#include "sim/image_files.hpp"
#include "sim/world_at_step.hpp"

extern char** environ;

namespace fsrace::sim {
namespace {

namespace fs = std::filesystem;

constexpr size_t kOutputLimit = 64 * 1024;  // of btrfs check's output kept in a result
constexpr const char* kCheckSeconds = "300";  // btrfs check is killed after this (`timeout`): never a hang

// An executable of that name in PATH, or empty.
std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  for (size_t guard = 0; guard < 256 && !rest.empty(); ++guard) {
    const size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    const std::string file = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(file.c_str(), X_OK) == 0) return file;
  }
  return {};
}

struct process_output {
  int code = -1;  // exit code; -1: killed by a signal
  std::string out;  // stdout and stderr together, at most kOutputLimit bytes
};

// Runs argv (no shell) with stdout and stderr into `log`, waits for it.
process_output run_process(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error(fmt::format("cannot run {}: {}", argv[0], std::strerror(err)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid for {}: {}", argv[0], std::strerror(errno)));
  process_output r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(log, std::ios::binary);
  r.out.resize(kOutputLimit);
  in.read(r.out.data(), std::streamsize(kOutputLimit));
  r.out.resize(size_t(in.gcount()));
  return r;
}

// A private directory, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "fsrace-btrfs-check-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error(fmt::format("cannot make a temporary directory {}: {}", tmpl, std::strerror(errno)));
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Loop devices attached to image files, detached when it goes (also on an exception).
class loop_devices {
 public:
  explicit loop_devices(fs::path log) : log_(std::move(log)) {}
  ~loop_devices() {
    for (auto it = devices_.rbegin(); it != devices_.rend(); ++it) {
      try {
        run_process({"losetup", "--detach", *it}, log_);
      } catch (...) {  // a destructor must not throw; a loop device left attached is reported by losetup -a
      }
    }
  }
  loop_devices(const loop_devices&) = delete;
  loop_devices& operator=(const loop_devices&) = delete;
  // The loop device now backed by `image`; empty and `why` set when none could be attached.
  std::string attach(const fs::path& image, std::string& why) {
    const process_output r = run_process({"losetup", "--find", "--show", "--read-only", image.string()}, log_);
    std::string dev = r.out.substr(0, r.out.find('\n'));
    if (r.code != 0 || dev.rfind("/dev/", 0) != 0) {
      why = fmt::format("losetup --find --show failed (exit {}): {}", r.code, r.out.substr(0, 500));
      return {};
    }
    devices_.push_back(dev);
    return dev;
  }

 private:
  fs::path log_;
  std::vector<std::string> devices_;
};

// A filesystem identity no other check running now uses: the temporary directory's name is unique.
model::ondisk::fs_identity identity_of(const fs::path& dir) {
  static std::atomic<uint64_t> counter{0};
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the directory name, the process and a counter
  for (unsigned char c : dir.string()) h = (h ^ c) * 1099511628211ull;
  h ^= uint64_t(::getpid()) << 32 ^ ++counter;
  return model::ondisk::identity_for(h | 1);
}

}  // namespace

const char* to_string(btrfs_check_result::verdict v) {
  switch (v) {
    case btrfs_check_result::verdict::passed: return "passed";
    case btrfs_check_result::verdict::failed: return "FAILED";
    case btrfs_check_result::verdict::not_available: return "not available";
    case btrfs_check_result::verdict::not_exportable: return "not exportable";
  }
  return "?";
}

btrfs_check_result btrfs_check_image(const model::btrfs_fs_info& fs) {
  using verdict = btrfs_check_result::verdict;
  if (find_in_path("btrfs").empty())
    return {verdict::not_available, "btrfs (btrfs-progs) is not in PATH; .ci/install-deps installs it"};
  const bool several = fs.devices.size() > 1;
  if (several && (find_in_path("losetup").empty() || ::geteuid() != 0))
    return {verdict::not_available, "a filesystem of several devices is checked through loop devices: losetup as root is needed"};
  try {
    model::ondisk::check_exportable(fs);
  } catch (const model::ondisk::unsupported& e) {
    return {verdict::not_exportable, e.what()};
  }
  temp_dir dir;
  const model::ondisk::fs_identity id = identity_of(dir.path());
  std::vector<fs::path> images;
  for (const auto& [devid, d] : fs.devices) {
    images.push_back(dir.path() / fmt::format("{}.img", images.size()));
    try {
      write_device_image_file(images.back().string(), fs, devid, &id);
    } catch (const model::ondisk::unsupported& e) {
      return {verdict::not_exportable, e.what()};
    }
  }
  loop_devices loops(dir.path() / "losetup.log");
  std::string target = images.front().string();
  if (several) {
    std::string why;
    for (size_t i = 0; i < images.size(); ++i) {
      const std::string dev = loops.attach(images[i], why);
      if (dev.empty()) return {verdict::not_available, why};
      if (i == 0) target = dev;
    }
  }
  const process_output r =
      run_process({"timeout", kCheckSeconds, "btrfs", "check", "--readonly", "--check-data-csum", target}, dir.path() / "check.log");
  if (r.code == 0) return {verdict::passed, {}};
  return {verdict::failed, fmt::format("btrfs check --readonly --check-data-csum exit {}{}:\n{}", r.code,
                                       r.code == 124 ? " (killed after " + std::string(kCheckSeconds) + " s)" : "", r.out)};
}

btrfs_check_sample_result btrfs_check_sample(const prepared_scenario& prepared, const explore_settings& settings, const fix_setting& fixes,
                                             uint64_t first, uint64_t count, uint64_t limit) {
  btrfs_check_sample_result r;
  executor walker(prepared, settings.max_steps, false);
  walker.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  // dfs and dpor: the enumeration in order, as an unsplit search numbers it; random and pct: by seed.
  std::unique_ptr<sched::DfsStrategy> dfs;
  std::unique_ptr<sched::DporStrategy> dpor;
  if (settings.strategy == strategy_kind::dfs) dfs = std::make_unique<sched::DfsStrategy>(settings.preemptions);
  if (settings.strategy == strategy_kind::dpor) dpor = std::make_unique<sched::DporStrategy>(settings.preemptions);
  auto systematic_next = [&]() { return dfs ? dfs->next() : dpor->next(); };
  sched::Strategy* systematic = dfs ? static_cast<sched::Strategy*>(dfs.get()) : dpor.get();
  sched::Execution ex;
  if (systematic)
    for (uint64_t i = 0; i < first; ++i) {
      walker.run(*systematic, 0, ex);
      if (!systematic_next()) return r;  // the space ends before `first`
    }
  for (uint64_t i = first; i < first + limit && r.checked + r.not_exportable < count; ++i) {
    uint64_t key = i;
    if (systematic) {
      if (i > first && !systematic_next()) break;
      walker.run(*systematic, 0, ex);
    } else {
      key = sched::execution_seed(settings.seed, i);
      ex = replay_key(prepared, settings, fixes, key);
    }
    ++r.executions;
    if (classify(ex.finding) != outcome::clean) continue;
    const world_snapshot end = world_after_step(prepared, fixes, ex.decisions, settings.max_steps, std::nullopt);
    if (!end.state || !end.state->fs() || classify(end.ex.finding) != outcome::clean)
      throw std::logic_error(fmt::format("btrfs check sample: execution {} did not end clean when re-run", i));
    btrfs_check_result c = btrfs_check_image(*end.state->fs());
    switch (c.result) {
      case btrfs_check_result::verdict::not_available: r.not_available = c.detail; return r;
      case btrfs_check_result::verdict::not_exportable: ++r.not_exportable; break;
      case btrfs_check_result::verdict::passed: ++r.checked, ++r.passed; break;
      case btrfs_check_result::verdict::failed: ++r.checked, r.failures.push_back({i, key, std::move(c)}); break;
    }
  }
  return r;
}

}  // namespace fsrace::sim
