#include "tb/closed_loop/read_slots.hpp"

#include <algorithm>

namespace nic::loop {

ReadSlots::ReadSlots(uint32_t depth, uint64_t ios) : ios_(ios), slots_(depth) {
  for (uint32_t s = 0; s < depth; ++s) free_.push_back(uint16_t(s));
}

uint32_t ReadSlots::take(uint64_t now_ps, uint32_t length,
                         uint32_t (*tag)(uint16_t slot, uint32_t gen)) {
  const uint16_t slot = free_.front();
  free_.pop_front();
  Slot& s = slots_[slot];
  ++s.gen;
  s.issued_ps = now_ps;
  s.length = length;
  s.tag = tag(slot, s.gen);
  s.busy = true;
  if (!issued_) fig_.first_issue_ps = now_ps;
  ++issued_;
  return s.tag;
}

bool ReadSlots::complete(uint32_t tag, bool ok, uint64_t now_ps) {
  const uint16_t slot = slot_of(tag);
  if (slot >= slots_.size() || !slots_[slot].busy || slots_[slot].tag != tag) return false;
  Slot& s = slots_[slot];
  s.busy = false;
  ++done_;
  if (ok) {
    ++fig_.reads;
    fig_.bytes += s.length;
  } else {
    ++fig_.errors;
  }
  fig_.clat_ns.add((now_ps - s.issued_ps) / 1000);
  fig_.last_complete_ps = std::max(fig_.last_complete_ps, now_ps);
  free_.push_back(slot);
  return true;
}

}  // namespace nic::loop
