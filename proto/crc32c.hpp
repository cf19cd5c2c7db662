// CRC-32C (Castagnoli, reflected poly 0x82F63B78) as used by NVMe/TCP header and data digests.
//
// Two layers: the raw register (`update*`: no initial value, no final xor) that hardware
// pipelines carry between beats and packets, and the finished digest (`compute`, `combine`)
// that appears on the wire.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nic::crc32c {

constexpr uint32_t kInit = 0xFFFFFFFFu;  // register value before the first byte
inline uint32_t finish(uint32_t reg) { return reg ^ 0xFFFFFFFFu; }

// Table-driven (slicing-by-8) reference; portable, used to check the fast path.
uint32_t update_ref(uint32_t reg, const uint8_t* p, size_t n);
// Fastest implementation this CPU supports (SSE4.2 crc32 instruction when present).
uint32_t update(uint32_t reg, const uint8_t* p, size_t n);
// True when `update` uses the SSE4.2 instruction on this machine.
bool hw_accelerated();

// Finished digest of one buffer, as sent on the wire (before little-endian serialisation).
inline uint32_t compute(const uint8_t* p, size_t n) { return finish(update(kInit, p, n)); }

// Digest of A||B from the finished digests of A and B and the length of B, in O(log lenB).
uint32_t combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

// Running digest over pieces that arrive one after another.
class Running {
 public:
  void add(const uint8_t* p, size_t n) { reg_ = update(reg_, p, n); }
  uint32_t value() const { return finish(reg_); }
  uint32_t reg() const { return reg_; }
  void reset() { reg_ = kInit; }
 private:
  uint32_t reg_ = kInit;
};

}  // namespace nic::crc32c
