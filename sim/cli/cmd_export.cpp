// fsrace export SCENARIO -o DIR: the committed state after the scenario's setup as btrfs image files,
// DIR/<n>.img for the n-th device (devid order), each as large as the device; for btrfs check and
// btrfs inspect-internal. Serialisation runs here only, never while exploring.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/ondisk/image.hpp"
#include "reports/write_atomic.hpp"
#include "sim/bench_scheduler.hpp"
#include "sim/cli/commands.hpp"
#include "sim/prepared.hpp"

namespace fsrace::cli {
namespace {

// DIR itself: created when absent (one level), else it must be a directory (lstat: not a symlink).
void prepare_output_dir(const std::string& dir) {
  if (dir.empty()) throw sim::input_error("", "-o", "an empty output directory; expected a directory name");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw sim::input_error("", "-o", fmt::format("{} exists and is not a directory; expected a directory for the images", dir));
    return;
  }
  if (errno != ENOENT || ::mkdir(dir.c_str(), 0755) != 0)
    throw sim::input_error("", "-o", fmt::format("cannot create the directory {}: {}", dir, std::strerror(errno)));
}

void write_image(const std::string& path, const model::btrfs_fs_info& fs, uint64_t devid) {
  const uint64_t size = fs.devices.at(devid)->total_bytes;
  reports::write_file_atomic_with(path, [&](int fd) {
    if (::ftruncate(fd, off_t(size)) != 0)
      throw std::runtime_error(fmt::format("cannot write {}: ftruncate to {} bytes: {}", path, size, std::strerror(errno)));
    model::ondisk::write_device_image(fs, devid, [&](uint64_t physical, std::span<const uint8_t> bytes) {
      size_t done = 0;
      while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(physical + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
          throw std::runtime_error(fmt::format("cannot write {}: pwrite at {}: {}", path, physical + done,
                                               n < 0 ? std::strerror(errno) : "no progress"));
        done += size_t(n);
      }
    });
  });
}

}  // namespace

int cmd_export(const export_args& a) {
  const sim::binding& b = sim::default_binding();
  auto sc = load_scenario_arg(a.file, *b.cat);
  prepare_output_dir(a.dir);
  const double cpu0 = sim::bench::process_cpu_seconds();
  sim::prepared_scenario prepared(*sc, b);
  const model::btrfs_fs_info* fs = prepared.base().fs();
  if (!fs) throw sim::tool_error("export: the scenario's world has no filesystem");
  try {
    model::ondisk::check_exportable(*fs);
  } catch (const model::ondisk::unsupported& e) {
    throw sim::input_error(a.file, "", fmt::format("cannot export this state yet: {}", e.what()));
  }
  std::vector<std::pair<std::string, std::string>> outputs;
  std::vector<uint64_t> devids;
  for (const auto& [devid, d] : fs->devices) {
    outputs.push_back({"-o", fmt::format("{}/{}.img", a.dir, devids.size())});
    devids.push_back(devid);
  }
  check_output_paths(outputs);
  const double cpu1 = sim::bench::process_cpu_seconds();
  for (size_t i = 0; i < devids.size(); ++i) {
    try {
      write_image(outputs[i].second, *fs, devids[i]);
    } catch (const model::ondisk::unsupported& e) {
      throw sim::input_error(a.file, "", fmt::format("cannot export this state yet: {}", e.what()));
    } catch (const reports::output_path_error& e) {
      throw sim::input_error("", "-o", e.what());
    } catch (const std::logic_error& e) {
      throw sim::tool_error(fmt::format("export: {}", e.what()));
    } catch (const std::runtime_error& e) {
      throw sim::input_error("", "-o", e.what());
    }
    fmt::print("{}: devid {}, {} bytes\n", outputs[i].second, devids[i], fs->devices.at(devids[i])->total_bytes);
  }
  const double cpu2 = sim::bench::process_cpu_seconds();
  fmt::print("{}: the committed state after setup (generation {}), {} image{}; CPU {:.3f} s setup, {:.3f} s export\n",
             sc->name, fs->generation, devids.size(), devids.size() == 1 ? "" : "s", cpu1 - cpu0, cpu2 - cpu1);
  return kClean;
}

}  // namespace fsrace::cli
