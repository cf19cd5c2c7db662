#include "hw/pcie/BackedCache.hpp"

namespace nic::hw {

BackedCache::BackedCache(ClockDomain& clk, DmaEngine& dma, const BackedCacheShape& s)
    : clk_(clk), dma_(dma), cache_(s.entries, s.ways, s.mshrs, s.replacement, 1, s.index),
      base_(s.base), bytes_(s.line_bytes), image_(s.line_bytes) {}

SetAssocCache::Lookup BackedCache::access(uint64_t key, bool write) {
  const SetAssocCache::Lookup l = cache_.access(key, write);
  if (l == SetAssocCache::Lookup::Miss) fetch(key);
  if (l == SetAssocCache::Lookup::MshrFull) wait_mshr_ = true;
  return l;
}

void BackedCache::install(uint64_t key, bool dirty) {
  write_back(cache_.install(key, dirty));
  clk_.request_next();  // a block waiting for this line sees it next cycle
}

void BackedCache::write_home(uint64_t key, uint32_t offset, uint32_t bytes) {
  DmaTag tag;
  tag.kind = DmaTag::Kind::Context;
  dma_.write(addr(key) + offset, image_.data(), bytes, {}, tag);
}

void BackedCache::write_back(const SetAssocCache::Victim& v) {
  if (v.valid && v.dirty) write_home(v.key, 0, bytes_);
}

void BackedCache::fetch(uint64_t key) {
  if (miss_hook_) miss_hook_(key);
  dma_.read(addr(key), bytes_, [this, key, issued = clk_.cycle()](ByteView, bool, const DmaTimes&) {
    miss_cycles_.add(clk_.cycle() - issued);
    write_back(cache_.fill(key));
    wait_mshr_ = false;
    clk_.request_next();  // a block waiting for this line or an MSHR retries
  });
}

}  // namespace nic::hw
