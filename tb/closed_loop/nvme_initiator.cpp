#include "tb/closed_loop/nvme_initiator.hpp"

namespace nic::loop {

NvmeInitiator::NvmeInitiator(const InitiatorParams& p)
    : p_(p), rng_(gen::Rng::derive(p.seed, 0x10u, p.conn)), slots_(p.queue_depth, p.ios) {
  cp_.hdgst = p.hdgst;
  cp_.ddgst = p.ddgst;
  cp_.hpda = p.hpda;
}

void NvmeInitiator::open(const Write& write) {
  nvme::IcReq ic;
  ic.hpda = p_.hpda;
  ic.dgst = uint8_t((p_.hdgst ? 1 : 0) | (p_.ddgst ? 2 : 0));
  write(nvme::encode_ic_req(ic));
}

void NvmeInitiator::ready(uint64_t now_ps, const Write& write) {
  ready_ = true;
  issue(now_ps, write);
}

void NvmeInitiator::completed(uint32_t cid, bool ok, uint64_t now_ps, const Write& write) {
  if (slots_.complete(uint16_t(cid), ok, now_ps)) issue(now_ps, write);
}

void NvmeInitiator::issue(uint64_t now_ps, const Write& write) {
  while (ready_ && slots_.can_issue()) {
    nvme::ReadCmd rd;
    rd.length = p_.io_size.draw(rng_);
    rd.nlb = (rd.length + 511) / 512;
    rd.slba = rng_.below(uint64_t(1) << 31) * 8;  // 4 KiB-aligned, anywhere in 8 TiB
    // The generation is bumped before use, as Linux's nvme_setup_cmd: a slot's first CID is
    // 0x1000 | slot.
    rd.cid = uint16_t(slots_.take(now_ps, rd.length, [](uint16_t slot, uint32_t gen) {
      return uint32_t(slot | (gen & 0xf) << 12);
    }));
    write(nvme::encode_capsule_cmd(rd.to_sqe(), cp_));
  }
}

}  // namespace nic::loop
