#include "hw/flow/ContextCache.hpp"

#include "hw/abi/nic_abi.hpp"

namespace nic::hw {

namespace {
BackedCacheShape shape(const CtxCacheParams& p) {
  BackedCacheShape s;
  s.entries = p.entries;
  s.ways = p.ways;
  s.mshrs = p.mshrs;
  s.replacement = replacement_from(p.replacement);
  // A flow-table slot is its set times flow.ways plus its way, and most flows sit in way 0:
  // the slot modulo the set count would crowd every flow into a quarter of the sets.
  s.index = SetIndex::Hashed;
  s.base = abi::kCtxBackingBase;  // context i at base + i * transfer bytes
  s.line_bytes = p.transfer_bytes();
  return s;
}
}  // namespace

ContextCache::ContextCache(ClockDomain& clk, DmaEngine& dma, FlowContexts& flows,
                           const CtxCacheParams& p)
    : cache_(clk, dma, shape(p)), hit_cycles_(p.hit_cycles), bypass_(p.miss == "bypass") {
  cache_.set_miss_hook([&flows](uint64_t slot) {
    if (FlowContext* f = flows.get(int32_t(slot))) ++f->counters.ctx_misses;
  });
}

void ContextCache::prefetch(int32_t slot) {
  const uint32_t k = uint32_t(slot);
  if (cache_.contains(k) || cache_.pending(k) || cache_.mshr_free()) cache_.access(k, false);
}

bool ContextCache::acquire(int32_t slot, bool will_wait) {
  const uint32_t k = uint32_t(slot);
  if (cache_.touch(k, true)) return true;
  cache_.request(k, will_wait);
  return false;
}

}  // namespace nic::hw
