#include "sim/image_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "model/ondisk/image.hpp"
#include "model/ondisk/le_reader.hpp"
#include "reports/write_atomic.hpp"
#include "sim/world.hpp"

namespace fsrace::sim {

void write_device_image_file(const std::string& path, const model::btrfs_fs_info& fs, uint64_t devid,
                             const model::ondisk::fs_identity* id) {
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

std::vector<model::ondisk::device_image_source> open_device_image_files(const std::vector<std::string>& paths) {
  std::vector<model::ondisk::device_image_source> out;
  for (const std::string& path : paths) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw bad_filesystem(fmt::format("cannot open device image {}: {}", path, std::strerror(errno)));
    auto file = std::shared_ptr<int>(new int(fd), [](int* f) {
      ::close(*f);
      delete f;
    });
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0) throw bad_filesystem(fmt::format("cannot read device image {}: {}", path, std::strerror(errno)));
    out.push_back({path, uint64_t(size), [file, path](uint64_t physical, size_t n) {
                     std::vector<uint8_t> bytes(n, 0);  // past the file's end: zeroes
                     for (size_t done = 0; done < n;) {
                       const ssize_t got = ::pread(*file, bytes.data() + done, n - done, off_t(physical + done));
                       if (got < 0 && errno == EINTR) continue;
                       if (got < 0)
                         throw model::ondisk::malformed(fmt::format("{}: read of {} bytes at {}: {}", path, n, physical,
                                                                    std::strerror(errno)));
                       if (got == 0) break;
                       done += size_t(got);
                     }
                     return bytes;
                   }});
  }
  return out;
}

}  // namespace fsrace::sim
