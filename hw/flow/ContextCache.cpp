#include "hw/flow/ContextCache.hpp"

#include "hw/abi/nic_abi.hpp"

namespace nic::hw {

ContextCache::ContextCache(ClockDomain& clk, DmaEngine& dma, FlowContexts& flows,
                           const CtxCacheParams& p)
    : clk_(clk), dma_(dma), flows_(flows),
      cache_(p.entries, p.ways, p.mshrs, replacement_from(p.replacement)),
      bytes_(p.transfer_bytes()), hit_cycles_(p.hit_cycles), bypass_(p.miss == "bypass"),
      image_(bytes_) {}

uint64_t ContextCache::addr(uint32_t slot) const {
  return abi::kCtxBackingBase + uint64_t(slot) * bytes_;
}

void ContextCache::prefetch(int32_t slot) {
  const uint32_t k = uint32_t(slot);
  if (cache_.contains(k) || cache_.pending(k) || cache_.mshr_free())
    if (cache_.access(k, false) == SetAssocCache::Lookup::Miss) fetch(k);
}

bool ContextCache::acquire(int32_t slot, bool will_wait) {
  const uint32_t k = uint32_t(slot);
  if (cache_.touch(k, true)) return true;
  if (cache_.pending(k) || wait_mshr_) return false;
  if (cache_.access(k, will_wait) == SetAssocCache::Lookup::MshrFull)
    wait_mshr_ = true;
  else
    fetch(k);
  return false;
}

void ContextCache::fetch(uint32_t slot) {
  if (FlowContext* f = flows_.get(int32_t(slot))) ++f->counters.ctx_misses;
  dma_.read(addr(slot), bytes_, [this, slot, issued = clk_.cycle()](ByteView, bool, const DmaTimes&) {
    miss_cycles_.add(clk_.cycle() - issued);
    const SetAssocCache::Victim v = cache_.fill(slot);
    if (v.valid && v.dirty) {
      DmaTag tag;
      tag.kind = DmaTag::Kind::Context;
      dma_.write(addr(v.key), image_.data(), bytes_, {}, tag);
    }
    wait_mshr_ = false;
    clk_.request_next();  // a parser waiting for this context or an MSHR retries
  });
}

}  // namespace nic::hw
