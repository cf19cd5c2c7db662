// An on-chip cache of fixed-size lines whose home is host memory: the SystemC side of a
// SetAssocCache. A miss is a DMA read through the DmaEngine (in order with the data writes,
// over the same PCIe link); when it lands the line is filled, a dirty victim is written back
// and the clock is woken for whoever waits. Line `key` lives at base + key * line bytes. The
// model keeps no bytes in the lines: the state itself stays where the blocks keep it, the
// cache decides only when it is on chip. Used by the flow-context cache (hw/flow/ContextCache)
// and the DDP registration and SGL caches (hw/placement/DdpCache). docs/state.md.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/latency_histogram.hpp"
#include "hw/common/set_assoc_cache.hpp"
#include "hw/pcie/DmaEngine.hpp"

namespace nic::hw {

struct BackedCacheShape {
  uint32_t entries = 0, ways = 1, mshrs = 1;
  Replacement replacement = Replacement::Lru;
  SetIndex index = SetIndex::Modulo;
  uint64_t base = 0;       // host address of line 0
  uint32_t line_bytes = 0;  // what a miss reads and a write-back writes
};

class BackedCache {
 public:
  BackedCache(ClockDomain& clk, DmaEngine& dma, const BackedCacheShape& s);

  bool touch(uint64_t key, bool write) { return cache_.touch(key, write); }
  bool contains(uint64_t key) const { return cache_.contains(key); }
  bool pending(uint64_t key) const { return cache_.pending(key); }
  bool mshr_free() const { return cache_.mshr_free(); }
  // A counted access; a miss starts the fetch, a full MSHR set holds further demand misses
  // (request) until a fill frees one.
  SetAssocCache::Lookup access(uint64_t key, bool write);
  // A demand for a line not on chip, without counting it again: starts its fetch unless one
  // is under way or every MSHR is busy.
  void request(uint64_t key, bool write) {
    if (!cache_.pending(key) && !wait_mshr_) access(key, write);
  }
  // The whole line was written on chip: no fetch; a dirty victim is written back.
  void install(uint64_t key, bool dirty);
  void drop(uint64_t key) { cache_.invalidate(key); }
  // A posted write of `bytes` at `offset` into the line's home copy, the line not on chip.
  void write_home(uint64_t key, uint32_t offset, uint32_t bytes);

  uint64_t addr(uint64_t key) const { return base_ + key * bytes_; }
  const CacheStats& stats() const { return cache_.stats(); }
  // Sees every counted access (a time series of hit rates).
  void set_observer(SetAssocCache::Observer o) { cache_.set_observer(std::move(o)); }
  // Sees the key of every fetch started (a miss), for per-owner counts.
  void set_miss_hook(std::function<void(uint64_t key)> h) { miss_hook_ = std::move(h); }
  const LatencyHistogram& miss_cycles() const { return miss_cycles_; }  // issue to fill

 private:
  void fetch(uint64_t key);
  void write_back(const SetAssocCache::Victim& v);

  ClockDomain& clk_;
  DmaEngine& dma_;
  SetAssocCache cache_;
  const uint64_t base_;
  const uint32_t bytes_;
  const std::vector<uint8_t> image_;  // what a write carries: the model keeps no bytes
  bool wait_mshr_ = false;            // a demand miss found every MSHR busy: retry after a fill
  LatencyHistogram miss_cycles_;
  std::function<void(uint64_t key)> miss_hook_;
};

}  // namespace nic::hw
