#include "hw/placement/ddp_table.hpp"

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
    case DdpError::CidOutOfRange: return "CidOutOfRange";
    case DdpError::Busy: return "Busy";
    case DdpError::NotRegistered: return "NotRegistered";
    case DdpError::BadSgl: return "BadSgl";
  }
  return "?";
}

void DdpTable::reset(uint32_t queue_size, uint32_t max_sg_entries) {
  size_ = queue_size;
  if (slots_.size() > size_) slots_.resize(size_);
  for (DdpContext& c : slots_) {
    c.state = DdpState::Free;
    c.completion_seen = false;
  }
  max_sg_entries_ = max_sg_entries;
  registered_ = 0;
}

namespace {
bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
const DdpContext kUnused;  // what every slot beyond slots_ holds
}  // namespace

DdpContext& DdpTable::grow_to(uint16_t cid) {
  if (cid >= slots_.size()) slots_.resize(size_t(cid) + 1);
  return slots_[cid];
}

DdpSetupResult DdpTable::setup(uint16_t cid, const SgEntry* entries, size_t n, uint32_t io_len,
                               uint32_t valid_from) {
  if (cid >= size_) return {DdpError::CidOutOfRange, SglError::None};
  DdpContext& c = grow_to(cid);
  if (c.state != DdpState::Free) return {DdpError::Busy, SglError::None};
  // Checked before copying, so an oversized list costs no allocation.
  if (n > max_sg_entries_) return {DdpError::BadSgl, SglError::TooManyEntries};
  c.sgl.assign(entries, n);
  if (SglError e = c.sgl.validate(max_sg_entries_, io_len); e != SglError::None)
    return {DdpError::BadSgl, e};
  c.io_len = io_len;
  c.valid_from = valid_from;
  c.closed = c.completion_seen && seq_before(valid_from, c.completion_end);
  c.state = DdpState::Registered;
  ++registered_;
  return {};
}

bool DdpTable::note_completion(uint16_t cid, uint32_t end) {
  if (cid >= size_) return false;
  DdpContext& c = grow_to(cid);
  c.completion_seen = true;
  c.completion_end = end;
  if (c.state != DdpState::Registered || c.closed || !seq_before(c.valid_from, end)) return false;
  c.closed = true;
  return true;
}

DdpError DdpTable::teardown(uint16_t cid) {
  if (cid >= size_) return DdpError::CidOutOfRange;
  if (cid >= slots_.size()) return DdpError::NotRegistered;
  DdpContext& c = slots_[cid];
  if (c.state != DdpState::Registered) return DdpError::NotRegistered;
  c.state = DdpState::TeardownPending;
  --registered_;
  return DdpError::None;
}

DdpError DdpTable::finish_teardown(uint16_t cid) {
  if (cid >= size_) return DdpError::CidOutOfRange;
  if (cid >= slots_.size()) return DdpError::NotRegistered;
  DdpContext& c = slots_[cid];
  if (c.state != DdpState::TeardownPending) return DdpError::NotRegistered;
  c.state = DdpState::Free;
  return DdpError::None;
}

DdpContext* DdpTable::lookup(uint16_t cid) {
  if (cid >= slots_.size() || slots_[cid].state != DdpState::Registered) return nullptr;
  return &slots_[cid];
}

const DdpContext* DdpTable::slot(uint16_t cid) const {
  if (cid >= size_) return nullptr;
  return cid < slots_.size() ? &slots_[cid] : &kUnused;
}

}  // namespace nic::hw
