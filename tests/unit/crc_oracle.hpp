// CRC-32C one bit at a time, straight from the polynomial: an oracle independent of the
// table and SSE4.2 implementations under test.
#pragma once
#include <cstddef>
#include <cstdint>

namespace oracle {

inline uint32_t crc_bitwise(const uint8_t* p, size_t n) {
  uint32_t r = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    r ^= p[i];
    for (int b = 0; b < 8; ++b) r = (r & 1) ? (r >> 1) ^ 0x82F63B78u : r >> 1;
  }
  return ~r;
}

}  // namespace oracle
