// The on-chip cache of per-flow offload contexts, backed by host memory (abi::kCtxBackingBase,
// one context per flow-table slot). The flow lookup starts a context's fetch as soon as it
// knows the flow; the PDU parser, the first block to use the context, acquires it for each
// frame. A miss is a DMA read through the DmaEngine (in order with the data writes, over the
// same PCIe link); a dirty victim is written back when the fill lands. The framing and digest
// state itself stays in FlowContexts: the cache decides only when it is on chip.
// docs/state.md.
#pragma once
#include <cstdint>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/latency_histogram.hpp"
#include "hw/common/set_assoc_cache.hpp"
#include "hw/flow/ctx_cache_params.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/pcie/DmaEngine.hpp"

namespace nic::hw {

class ContextCache {
 public:
  // `p.entries` > 0 (a disabled cache is not built). `flows` counts each flow's misses.
  ContextCache(ClockDomain& clk, DmaEngine& dma, FlowContexts& flows, const CtxCacheParams& p);

  bool bypass_on_miss() const { return bypass_; }
  uint32_t hit_cycles() const { return hit_cycles_; }
  // The flow lookup matched `slot`: fetch its context if it is not on chip and an MSHR is free
  // (a busy MSHR set is not waited for here; the parser's acquire retries).
  void prefetch(int32_t slot);
  // The parser needs `slot`'s context for a frame: true when it is on chip (the frame's
  // update dirties it). Otherwise its fetch is on its way, started now (a write when `will_wait`:
  // the frame updates it on arrival), or waits for a free MSHR; a fill wakes the clock.
  bool acquire(int32_t slot, bool will_wait);
  // sk_del: the context is dead; its line is dropped unwritten.
  void drop(int32_t slot) { cache_.invalidate(uint32_t(slot)); }

  const CacheStats& stats() const { return cache_.stats(); }
  // Sees every counted access (SetAssocCache::access), as the stats count it.
  void set_observer(SetAssocCache::Observer o) { cache_.set_observer(std::move(o)); }
  const LatencyHistogram& miss_cycles() const { return miss_cycles_; }  // issue to fill

 private:
  void fetch(uint32_t slot);
  uint64_t addr(uint32_t slot) const;

  ClockDomain& clk_;
  DmaEngine& dma_;
  FlowContexts& flows_;
  SetAssocCache cache_;
  const uint32_t bytes_, hit_cycles_;
  const bool bypass_;
  const std::vector<uint8_t> image_;  // what a write-back carries: the model keeps no bytes
  bool wait_mshr_ = false;            // a demand miss found every MSHR busy: retry after a fill
  LatencyHistogram miss_cycles_;
};

}  // namespace nic::hw
