// Read buffers for the host driver model: picks host addresses for each read command's buffer
// and describes the buffer as a scatter-gather list, the way a kernel hands a block request's
// pages to a driver. It only reserves addresses; it never touches memory.
//
// Layouts (deterministic from the seed):
//   Contiguous  one entry at a random, byte-granular address;
//   Pages       4 KiB pages at random page-aligned addresses; the first starts at a random
//               offset inside its page and the last may end early (like an unaligned user
//               buffer pinned page by page);
//   Fragments   entries of random length 1..4096 at random unaligned addresses, never
//               adjacent to one another, so no two entries could be merged into one.
// Live buffers never overlap. Addresses come from [base, base + span).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "host_driver/ulp_ddp/ddp_io.hpp"

namespace nic::host {

enum class SgMode : uint8_t { Contiguous, Pages, Fragments };
const char* to_string(SgMode m);
// Accepts the to_string names; throws std::invalid_argument otherwise.
SgMode parse_sg_mode(const std::string& s);

struct AllocatorConfig {
  SgMode mode = SgMode::Contiguous;
  uint64_t seed = 1;
  uint64_t base = 1ull << 32;  // above the first 4 GiB, where rings and small structures live
  uint64_t span = 1ull << 40;  // sparse host memory makes a huge range free
};

class BufferAllocator {
 public:
  static constexpr uint64_t kPageSize = 4096;

  explicit BufferAllocator(const AllocatorConfig& cfg);

  // A buffer of `len` bytes (len >= 1) laid out per the configured mode. Throws
  // std::runtime_error if no free address range is found (the span is nearly full).
  Buffer alloc(uint32_t len);
  // Same, with a mode chosen per call.
  Buffer alloc(uint32_t len, SgMode mode);
  // Releases a live buffer; anything else (a buffer already freed, or not from alloc) throws
  // std::invalid_argument and changes nothing.
  void free(const Buffer& b);

  size_t live_buffers() const { return live_buffers_; }
  uint64_t live_bytes() const { return live_bytes_; }

 private:
  uint64_t uniform(uint64_t n);  // in [0, n)
  // Reserves [addr, addr + len) at a random position: addr % align == phase, and at least
  // `guard` free bytes on each side. Returns the address.
  uint64_t reserve_random(uint64_t len, uint64_t align, uint64_t phase, uint64_t guard);
  bool is_free(uint64_t addr, uint64_t len, uint64_t guard) const;

  AllocatorConfig cfg_;
  std::mt19937_64 rng_;  // fixed algorithm: the same seed gives the same layout everywhere
  std::map<uint64_t, uint64_t> used_;  // start -> end of every reserved extent
  size_t live_buffers_ = 0;
  uint64_t live_bytes_ = 0;
};

}  // namespace nic::host
