// Byte-order helpers and a non-owning byte view. Wire formats here mix big-endian
// (Ethernet/IP/TCP, iSCSI) and little-endian (NVMe/TCP) fields, so every access names its order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nic {

using Bytes = std::vector<uint8_t>;

struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
  ByteView() = default;
  ByteView(const uint8_t* d, size_t n) : data(d), size(n) {}
  ByteView(const Bytes& b) : data(b.data()), size(b.size()) {}  // NOLINT: implicit by design
  const uint8_t& operator[](size_t i) const { return data[i]; }
  ByteView sub(size_t off, size_t n) const { return {data + off, n}; }
  ByteView sub(size_t off) const { return {data + off, size - off}; }
  bool empty() const { return size == 0; }
  const uint8_t* begin() const { return data; }
  const uint8_t* end() const { return data + size; }
};

inline uint16_t ld_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t ld_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t ld_be64(const uint8_t* p) { return uint64_t(ld_be32(p)) << 32 | ld_be32(p + 4); }
inline uint16_t ld_le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline uint32_t ld_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t ld_le64(const uint8_t* p) { return ld_le32(p) | uint64_t(ld_le32(p + 4)) << 32; }

inline void st_be16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void st_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
inline void st_be64(uint8_t* p, uint64_t v) { st_be32(p, uint32_t(v >> 32)); st_be32(p + 4, uint32_t(v)); }
inline void st_le16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
inline void st_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}
inline void st_le64(uint8_t* p, uint64_t v) { st_le32(p, uint32_t(v)); st_le32(p + 4, uint32_t(v >> 32)); }

}  // namespace nic
