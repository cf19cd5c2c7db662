#include "proto/crc32c.hpp"

#include <array>
#include <cstring>

#include "util/bytes.hpp"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace nic::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

// kTable[k][b]: register contribution of byte b followed by k zero bytes (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int i = 0; i < 8; ++i) r = (r >> 1) ^ (kPoly & (0u - (r & 1)));
    t[0][b] = r;
  }
  for (size_t k = 1; k < 8; ++k)
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}
constexpr Tables kTable = make_tables();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t update_hw(uint32_t reg, const uint8_t* p, size_t n) {
  // Byte steps up to 8-byte alignment so the wide loads never straddle cache lines.
  while (n && (reinterpret_cast<uintptr_t>(p) & 7)) {
    reg = _mm_crc32_u8(reg, *p++);
    --n;
  }
  uint64_t r = reg;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    r = _mm_crc32_u64(r, w);
  }
  reg = uint32_t(r);
  while (n--) reg = _mm_crc32_u8(reg, *p++);
  return reg;
}

using UpdateFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);
UpdateFn best_update() {
  // Resolved on first use, not at static init, so other translation units' static
  // initialisers can already call update().
  static const UpdateFn fn = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? &update_hw : &update_ref;
  }();
  return fn;
}
#endif

// Product of a and b modulo P, both in reflected form (bit 31 is x^0).
constexpr uint32_t mul_mod_p(uint32_t a, uint32_t b) {
  uint32_t prod = 0;
  for (int i = 31; i >= 0; --i) {
    if (a & (1u << i)) prod ^= b;
    b = (b >> 1) ^ (kPoly & (0u - (b & 1)));  // b *= x
  }
  return prod;
}

// kX2n[k] = x^(2^k) mod P; 67 entries cover x^(8 * len) for any 64-bit byte count.
using PowTable = std::array<uint32_t, 67>;
constexpr PowTable make_pow_table() {
  PowTable t{};
  t[0] = 0x40000000u;  // x^1
  for (size_t k = 1; k < t.size(); ++k) t[k] = mul_mod_p(t[k - 1], t[k - 1]);
  return t;
}
constexpr PowTable kX2n = make_pow_table();

}  // namespace

uint32_t update_ref(uint32_t reg, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    const uint32_t lo = reg ^ ld_le32(p);
    const uint32_t hi = ld_le32(p + 4);
    reg = kTable[7][lo & 0xFF] ^ kTable[6][(lo >> 8) & 0xFF] ^ kTable[5][(lo >> 16) & 0xFF] ^
          kTable[4][lo >> 24] ^ kTable[3][hi & 0xFF] ^ kTable[2][(hi >> 8) & 0xFF] ^
          kTable[1][(hi >> 16) & 0xFF] ^ kTable[0][hi >> 24];
  }
  while (n--) reg = (reg >> 8) ^ kTable[0][(reg ^ *p++) & 0xFF];
  return reg;
}

uint32_t update(uint32_t reg, const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  return best_update()(reg, p, n);
#else
  return update_ref(reg, p, n);
#endif
}

bool hw_accelerated() {
#if defined(__x86_64__)
  return best_update() != &update_ref;
#else
  return false;
#endif
}

// The init value and final xor cancel between the two digests, so
// crc(A||B) = crc(A) * x^(8*len_b) mod P  xor  crc(B).
uint32_t combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  for (size_t k = 3; len_b; len_b >>= 1, ++k)
    if (len_b & 1) crc_a = mul_mod_p(kX2n[k], crc_a);
  return crc_a ^ crc_b;
}

}  // namespace nic::crc32c
