#include "hw/flow/flow_table.hpp"

#include <stdexcept>

namespace nic::hw {

FlowTable::FlowTable(uint32_t entries, uint32_t ways)
    : slots_(entries), ways_(ways), sets_(ways ? entries / ways : 0) {
  if (!ways || !sets_ || entries % ways)
    throw std::invalid_argument("flow table: entries must be a non-zero multiple of ways");
}

int32_t FlowTable::insert(const net::FiveTuple& t) {
  if (lookup(t) != kMiss) return kMiss;
  const uint32_t base = set_of(t) * ways_;
  for (uint32_t w = 0; w < ways_; ++w) {
    Slot& s = slots_[base + w];
    if (!s.valid) {
      s.valid = true;
      s.key = t;
      ++used_;
      return int32_t(base + w);
    }
  }
  return kMiss;
}

bool FlowTable::remove(int32_t slot) {
  if (slot < 0 || size_t(slot) >= slots_.size() || !slots_[size_t(slot)].valid) return false;
  slots_[size_t(slot)].valid = false;
  --used_;
  return true;
}

int32_t FlowTable::lookup(const net::FiveTuple& t) const {
  ++lookups_;
  const uint32_t base = set_of(t) * ways_;
  for (uint32_t w = 0; w < ways_; ++w) {
    const Slot& s = slots_[base + w];
    if (s.valid && s.key == t) {
      ++hits_;
      return int32_t(base + w);
    }
  }
  return kMiss;
}

}  // namespace nic::hw
