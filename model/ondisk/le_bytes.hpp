// Little-endian field writes into a block of on-disk bytes (every btrfs on-disk integer is __le).
// Each write is bounds-checked: a layout error is a serialiser bug, never silent corruption.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

namespace fsrace::model::ondisk {

class le_bytes {
 public:
  explicit le_bytes(std::span<uint8_t> bytes) : bytes_(bytes) {}

  void u8(size_t off, uint8_t v) { raw(off, &v, 1); }
  void u16(size_t off, uint16_t v) { put(off, v, 2); }
  void u32(size_t off, uint32_t v) { put(off, v, 4); }
  void u64(size_t off, uint64_t v) { put(off, v, 8); }
  void raw(size_t off, const void* p, size_t n) {
    if (off > bytes_.size() || n > bytes_.size() - off) throw std::logic_error("ondisk: field past the end of its block");
    if (n) std::memcpy(bytes_.data() + off, p, n);
  }
  void str(size_t off, std::string_view s) { raw(off, s.data(), s.size()); }
  std::span<uint8_t> sub(size_t off, size_t n) {
    if (off > bytes_.size() || n > bytes_.size() - off) throw std::logic_error("ondisk: sub-block past the end of its block");
    return bytes_.subspan(off, n);
  }
  size_t size() const { return bytes_.size(); }

 private:
  void put(size_t off, uint64_t v, size_t n) {
    uint8_t b[8];
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(v >> (8 * i));
    raw(off, b, n);
  }
  std::span<uint8_t> bytes_;
};

}  // namespace fsrace::model::ondisk
