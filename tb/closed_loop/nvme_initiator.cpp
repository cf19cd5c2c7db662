#include "tb/closed_loop/nvme_initiator.hpp"

#include <algorithm>

namespace nic::loop {

void IoFigures::merge(const IoFigures& o) {
  if (!o.reads && !o.errors) return;
  first_issue_ps = reads || errors ? std::min(first_issue_ps, o.first_issue_ps) : o.first_issue_ps;
  last_complete_ps = std::max(last_complete_ps, o.last_complete_ps);
  reads += o.reads;
  errors += o.errors;
  bytes += o.bytes;
  clat_ns.merge(o.clat_ns);
}

NvmeInitiator::NvmeInitiator(const InitiatorParams& p)
    : p_(p), rng_(gen::Rng::derive(p.seed, 0x10u, p.conn)), slots_(p.queue_depth) {
  cp_.hdgst = p.hdgst;
  cp_.ddgst = p.ddgst;
  cp_.hpda = p.hpda;
  for (uint32_t c = 0; c < p.queue_depth; ++c) free_.push_back(uint16_t(c));
}

void NvmeInitiator::open(const Write& write) const {
  nvme::IcReq ic;
  ic.hpda = p_.hpda;
  ic.dgst = uint8_t((p_.hdgst ? 1 : 0) | (p_.ddgst ? 2 : 0));
  write(nvme::encode_ic_req(ic));
}

void NvmeInitiator::ready(uint64_t now_ps, const Write& write) {
  ready_ = true;
  issue(now_ps, write);
}

void NvmeInitiator::completed(uint16_t cid, bool ok, uint64_t now_ps, const Write& write) {
  const uint16_t slot = cid & 0xfff;
  // Not a read in flight: the verdict will say.
  if (slot >= slots_.size() || !slots_[slot].busy || slots_[slot].cid != cid) return;
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
  issue(now_ps, write);
}

void NvmeInitiator::issue(uint64_t now_ps, const Write& write) {
  while (ready_ && !free_.empty() && issued_ < p_.ios) {
    const uint16_t slot = free_.front();
    free_.pop_front();
    Slot& s = slots_[slot];
    nvme::ReadCmd rd;
    ++s.gen;  // before use, as Linux's nvme_setup_cmd: a slot's first CID is 0x1000 | slot
    rd.cid = uint16_t(slot | (s.gen & 0xf) << 12);
    rd.length = p_.io_size.draw(rng_);
    rd.nlb = (rd.length + 511) / 512;
    rd.slba = rng_.below(uint64_t(1) << 31) * 8;  // 4 KiB-aligned, anywhere in 8 TiB
    s.issued_ps = now_ps;
    s.length = rd.length;
    s.cid = rd.cid;
    s.busy = true;
    if (!issued_) fig_.first_issue_ps = now_ps;
    ++issued_;
    write(nvme::encode_capsule_cmd(rd.to_sqe(), cp_));
  }
}

}  // namespace nic::loop
