#include "hw/offload/ddp_table.hpp"

#include <algorithm>


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
    case DdpError::TooLong: return "TooLong";
  }
  return "?";
}

void DdpTable::reset(abi::TagSlotRule rule, uint32_t max_sg_entries) {
  slots_ = std::vector<DdpContext>(rule.slots);  // exactly: a smaller queue gives memory back
  rule_ = rule;
  max_sg_entries_ = uint32_t(std::min<size_t>(max_sg_entries, SglPool::kMaxEntries));
  registered_ = 0;
  pool_ = {};
}

namespace {
bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
}  // namespace

DdpSetupResult DdpTable::setup(uint32_t io_tag, const SgEntry* entries, size_t n,
                               uint32_t io_len, uint32_t valid_from) {
  DdpContext& c = slot_of(io_tag);
  if (c.state != DdpState::Free) return {DdpError::Busy, SglError::None};
  if (io_len > DdpContext::kMaxIoLen) return {DdpError::TooLong, SglError::None};
  // An oversized list is refused on its count alone, whatever else is wrong with it.
  if (n > max_sg_entries_) return {DdpError::BadSgl, SglError::TooManyEntries};
  if (SglError e = check_sgl(entries, n, max_sg_entries_, io_len); e != SglError::None)
    return {DdpError::BadSgl, e};
  c.pooled = n > 1;
  if (c.pooled)
    c.list = pool_.add(entries, n);
  else
    c.set_addr(entries[0].addr);
  c.io_tag = io_tag;
  c.io_len = io_len;
  c.placed_end = 0;
  c.valid_from = valid_from;
  c.closed = c.completion_seen && seq_before(valid_from, c.completion_end);
  c.state = DdpState::Registered;
  ++registered_;
  return {};
}

bool DdpTable::note_completion(uint32_t io_tag, uint32_t end) {
  DdpContext& c = slot_of(io_tag);
  c.completion_seen = true;
  c.completion_end = end;
  if (c.state != DdpState::Registered || c.io_tag != io_tag || c.closed ||
      !seq_before(c.valid_from, end))
    return false;
  c.closed = true;
  return true;
}

DdpError DdpTable::teardown(uint32_t io_tag) {
  DdpContext& c = slot_of(io_tag);
  if (c.state != DdpState::Registered || c.io_tag != io_tag) return DdpError::NotRegistered;
  c.state = DdpState::TeardownPending;
  --registered_;
  return DdpError::None;
}

DdpError DdpTable::finish_teardown(uint32_t io_tag) {
  DdpContext& c = slot_of(io_tag);
  if (c.state != DdpState::TeardownPending || c.io_tag != io_tag) return DdpError::NotRegistered;
  c.state = DdpState::Free;
  if (c.pooled) pool_.remove(c.list);
  c.pooled = false;
  return DdpError::None;
}

DdpContext* DdpTable::lookup(uint32_t io_tag) {
  DdpContext& c = slot_of(io_tag);
  return c.state == DdpState::Registered && c.io_tag == io_tag ? &c : nullptr;
}

DdpState DdpTable::state(uint32_t io_tag) const {
  const DdpContext& c = slot_of(io_tag);
  return c.io_tag == io_tag ? c.state : DdpState::Free;
}

}  // namespace nic::hw
