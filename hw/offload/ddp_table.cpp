#include "hw/offload/ddp_table.hpp"

#include <algorithm>

#include "hw/abi/nic_abi.hpp"

namespace nic::hw {

const char* to_string(DdpState s) {
  switch (s) {
    case DdpState::Free: return "Free";
    case DdpState::Registered: return "Registered";
    case DdpState::TeardownPending: return "TeardownPending";
  }
  return "?";
}

const char* to_string(DdpError e) {
  switch (e) {
    case DdpError::None: return "None";
    case DdpError::Busy: return "Busy";
    case DdpError::NotRegistered: return "NotRegistered";
    case DdpError::BadSgl: return "BadSgl";
  }
  return "?";
}

void DdpTable::reset(uint32_t queue_size, uint32_t max_sg_entries) {
  const uint32_t n = abi::ddp_slots(queue_size);
  slots_ = std::vector<DdpContext>(n);  // exactly n: a smaller queue gives memory back
  mask_ = n - 1;
  max_sg_entries_ = uint32_t(std::min<size_t>(max_sg_entries, SglPool::kMaxEntries));
  registered_ = 0;
  pool_ = {};
}

namespace {
bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
}  // namespace

DdpSetupResult DdpTable::setup(uint16_t cid, const SgEntry* entries, size_t n, uint32_t io_len,
                               uint32_t valid_from) {
  DdpContext& c = slot_of(cid);
  if (c.state != DdpState::Free) return {DdpError::Busy, SglError::None};
  // An oversized list is refused on its count alone, whatever else is wrong with it.
  if (n > max_sg_entries_) return {DdpError::BadSgl, SglError::TooManyEntries};
  if (SglError e = check_sgl(entries, n, max_sg_entries_, io_len); e != SglError::None)
    return {DdpError::BadSgl, e};
  c.pooled = n > 1;
  if (c.pooled)
    c.list = pool_.add(entries, n);
  else
    c.set_addr(entries[0].addr);
  c.cid = cid;
  c.io_len = io_len;
  c.placed_end = 0;
  c.valid_from = valid_from;
  c.closed = c.completion_seen && seq_before(valid_from, c.completion_end);
  c.state = DdpState::Registered;
  ++registered_;
  return {};
}

bool DdpTable::note_completion(uint32_t cid, uint32_t end) {
  DdpContext& c = slot_of(cid);
  c.completion_seen = true;
  c.completion_end = end;
  if (c.state != DdpState::Registered || c.cid != cid || c.closed ||
      !seq_before(c.valid_from, end))
    return false;
  c.closed = true;
  return true;
}

DdpError DdpTable::teardown(uint16_t cid) {
  DdpContext& c = slot_of(cid);
  if (c.state != DdpState::Registered || c.cid != cid) return DdpError::NotRegistered;
  c.state = DdpState::TeardownPending;
  --registered_;
  return DdpError::None;
}

DdpError DdpTable::finish_teardown(uint16_t cid) {
  DdpContext& c = slot_of(cid);
  if (c.state != DdpState::TeardownPending || c.cid != cid) return DdpError::NotRegistered;
  c.state = DdpState::Free;
  if (c.pooled) pool_.remove(c.list);
  c.pooled = false;
  return DdpError::None;
}

DdpContext* DdpTable::lookup(uint32_t cid) {
  DdpContext& c = slot_of(cid);
  return c.state == DdpState::Registered && c.cid == cid ? &c : nullptr;
}

DdpState DdpTable::state(uint16_t cid) const {
  const DdpContext& c = slot_of(cid);
  return c.cid == cid ? c.state : DdpState::Free;
}

}  // namespace nic::hw
