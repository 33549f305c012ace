#include "sim/image_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "model/ondisk/image.hpp"
#include "reports/write_atomic.hpp"

namespace fsrace::sim {

void write_device_image_file(const std::string& path, const model::btrfs_fs_info& fs, uint64_t devid,
                             const model::ondisk::fs_identity& id) {
  const uint64_t size = fs.devices.at(devid)->total_bytes;
  reports::write_file_atomic_with(path, [&](int fd) {
    if (::ftruncate(fd, off_t(size)) != 0)
      throw std::runtime_error(fmt::format("cannot write {}: ftruncate to {} bytes: {}", path, size, std::strerror(errno)));
    model::ondisk::write_device_image(
        fs, devid,
        [&](uint64_t physical, std::span<const uint8_t> bytes) {
          size_t done = 0;
          while (done < bytes.size()) {
            const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(physical + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
              throw std::runtime_error(fmt::format("cannot write {}: pwrite at {}: {}", path, physical + done,
                                                   n < 0 ? std::strerror(errno) : "no progress"));
            done += size_t(n);
          }
        },
        id);
  });
}

}  // namespace fsrace::sim
