// The on-chip cache of per-flow offload contexts, backed by host memory (abi::kCtxBackingBase,
// one context per flow-table slot). The flow lookup starts a context's fetch as soon as it
// knows the flow; the PDU parser, the first block to use the context, acquires it for each
// frame. Misses and write-backs are DMA over PCIe (hw/pcie/BackedCache). The framing and
// digest state itself stays in FlowContexts: the cache decides only when it is on chip.
// docs/state.md.
#pragma once
#include <cstdint>

#include "hw/flow/ctx_cache_params.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/pcie/BackedCache.hpp"

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
  // sk_add wrote the whole context: it goes on chip dirty without a fetch (a dirty victim is
  // written back), so a flow's first frame does not miss cold.
  void created(int32_t slot) { cache_.install(uint32_t(slot), true); }
  // sk_del: the context is dead; its line is dropped unwritten.
  void drop(int32_t slot) { cache_.drop(uint32_t(slot)); }

  const CacheStats& stats() const { return cache_.stats(); }
  void set_observer(SetAssocCache::Observer o) { cache_.set_observer(std::move(o)); }
  const LatencyHistogram& miss_cycles() const { return cache_.miss_cycles(); }  // issue to fill

 private:
  BackedCache cache_;
  const uint32_t hit_cycles_;
  const bool bypass_;
};

}  // namespace nic::hw
