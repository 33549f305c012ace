// Little-endian field reads from a block of on-disk bytes, the reverse of le_bytes. Each read is
// bounds-checked against the block: bytes that end early are a malformed image (bad input), never a read
// past the buffer.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace fsrace::model::ondisk {

// Bytes that are not what the on-disk format says they must be (a damaged or foreign image): bad input.
class malformed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class le_reader {
 public:
  // `what` names the block in messages ("tree block 30408704", "super block copy 1 of devid 2").
  le_reader(std::span<const uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  uint8_t u8(size_t off) const { return uint8_t(get(off, 1)); }
  uint16_t u16(size_t off) const { return uint16_t(get(off, 2)); }
  uint32_t u32(size_t off) const { return uint32_t(get(off, 4)); }
  uint64_t u64(size_t off) const { return get(off, 8); }
  std::string str(size_t off, size_t n) const {
    const auto s = sub(off, n);
    return std::string(s.begin(), s.end());
  }
  std::span<const uint8_t> sub(size_t off, size_t n) const {
    check(off, n);
    return bytes_.subspan(off, n);
  }
  size_t size() const { return bytes_.size(); }
  const std::string& what() const { return what_; }
  [[noreturn]] void fail(size_t off, const std::string& why) const {
    throw malformed(fmt::format("{}, byte {}: {}", what_, off, why));
  }

 private:
  void check(size_t off, size_t n) const {
    if (off > bytes_.size() || n > bytes_.size() - off)
      fail(off, fmt::format("{} bytes needed, the block ends at {}", n, bytes_.size()));
  }
  uint64_t get(size_t off, size_t n) const {
    check(off, n);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = v << 8 | bytes_[off + i];
    return v;
  }
  std::span<const uint8_t> bytes_;
  std::string what_;
};

}  // namespace fsrace::model::ondisk
