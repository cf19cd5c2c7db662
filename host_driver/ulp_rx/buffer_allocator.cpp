#include "host_driver/ulp_rx/buffer_allocator.hpp"

#include <algorithm>
#include <stdexcept>

namespace nic::host {

const char* to_string(SgMode m) {
  switch (m) {
    case SgMode::Contiguous: return "contiguous";
    case SgMode::Pages: return "pages";
    case SgMode::Fragments: return "fragments";
  }
  return "?";
}

SgMode parse_sg_mode(const std::string& s) {
  for (SgMode m : {SgMode::Contiguous, SgMode::Pages, SgMode::Fragments})
    if (s == to_string(m)) return m;
  throw std::invalid_argument("unknown SG mode '" + s + "' (contiguous, pages, fragments)");
}

BufferAllocator::BufferAllocator(const AllocatorConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {
  if (cfg_.span < (1u << 20) || cfg_.base > UINT64_MAX - cfg_.span || cfg_.base % kPageSize)
    throw std::invalid_argument("BufferAllocator: span too small, past 2^64 or base unaligned");
}

// Modulo bias is negligible for the sizes drawn here, and unlike the standard distributions
// the result does not depend on the C++ library.
uint64_t BufferAllocator::uniform(uint64_t n) { return rng_() % n; }

bool BufferAllocator::is_free(uint64_t addr, uint64_t len, uint64_t guard) const {
  const uint64_t lo = addr - guard, hi = addr + len + guard;
  auto it = used_.lower_bound(hi);
  if (it == used_.begin()) return true;
  --it;  // the last extent starting below hi; extents before it end at or before its start
  return it->second <= lo;
}

uint64_t BufferAllocator::reserve_random(uint64_t len, uint64_t align, uint64_t phase,
                                         uint64_t guard) {
  const uint64_t room = phase + len + guard;
  if (room > cfg_.span) throw std::runtime_error("BufferAllocator: buffer larger than the span");
  const uint64_t slots = (cfg_.span - room) / align + 1;
  // Random probing: with a sparse span a collision is rare, so a few tries are plenty.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint64_t addr = cfg_.base + phase + uniform(slots) * align;
    if (addr - cfg_.base < guard || !is_free(addr, len, guard)) continue;
    used_.emplace(addr, addr + len);
    return addr;
  }
  throw std::runtime_error("BufferAllocator: no free address range (span too full)");
}

Buffer BufferAllocator::alloc(uint32_t len) { return alloc(len, cfg_.mode); }

Buffer BufferAllocator::alloc(uint32_t len, SgMode mode) {
  if (len == 0) throw std::invalid_argument("BufferAllocator: zero-length buffer");
  Buffer b;
  try {
    switch (mode) {
      case SgMode::Contiguous: b.sgl.push_back({reserve_random(len, 1, 0, 0), len}); break;
      case SgMode::Pages: {
        uint64_t phase = uniform(kPageSize);  // first page: random start inside it
        for (uint32_t left = len; left;) {
          const uint32_t n = uint32_t(std::min<uint64_t>(left, kPageSize - phase));
          b.sgl.push_back({reserve_random(n, kPageSize, phase, 0), n});
          left -= n;
          phase = 0;
        }
        break;
      }
      case SgMode::Fragments:
        for (uint32_t left = len; left;) {
          const uint32_t n = uint32_t(std::min<uint64_t>(left, 1 + uniform(kPageSize)));
          // A one-byte guard keeps every fragment apart from every other live extent.
          b.sgl.push_back({reserve_random(n, 1, 0, 1), n});
          left -= n;
        }
        break;
    }
  } catch (...) {
    for (const SgEntry& e : b.sgl) used_.erase(e.addr);  // a half-built buffer leaks nothing
    throw;
  }
  live_bytes_ += len;
  ++live_buffers_;
  return b;
}

void BufferAllocator::free(const Buffer& b) {
  // Every entry must be a reserved extent as alloc made it; live extents never overlap, so
  // only a live buffer passes.
  const auto reserved = [&](const SgEntry& e) {
    const auto it = used_.find(e.addr);
    return it != used_.end() && it->second == e.addr + e.len;
  };
  if (b.sgl.empty() || !std::all_of(b.sgl.begin(), b.sgl.end(), reserved))
    throw std::invalid_argument("BufferAllocator: not a live buffer");
  for (const SgEntry& e : b.sgl) {
    used_.erase(e.addr);
    live_bytes_ -= e.len;
  }
  --live_buffers_;
}

}  // namespace nic::host
