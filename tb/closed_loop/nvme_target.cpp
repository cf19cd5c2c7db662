#include "tb/closed_loop/nvme_target.hpp"

#include <algorithm>

namespace nic::loop {

NvmeTarget::NvmeTarget(const NvmeTargetParams& p)
    : p_(p), svc_(p.seed, p.conn, p.service_ps, p.service_exponential) {}

void NvmeTarget::on_host_bytes(ByteView bytes, uint64_t now_ps) {
  if (!failure_.empty()) return;
  in_.feed(bytes);
  nvme::Pdu pdu;
  nvme::PduError err = nvme::PduError::None;
  while (in_.next(pdu, err)) {
    if (err != nvme::PduError::None) {
      failure_ = std::string("host stream: ") + nvme::to_string(err);
      return;
    }
    ++st_.commands;
    if (!have_ic_) {
      const auto* ic = std::get_if<nvme::IcReq>(&pdu.body);
      if (!ic) {
        failure_ = "host stream does not open with an ICReq";
        return;
      }
      // The host's choices stand: its digests, its data alignment.
      cp_.hdgst = ic->dgst & 1;
      cp_.ddgst = ic->dgst & 2;
      cp_.hpda = ic->hpda;
      in_.set_params(cp_);
      have_ic_ = true;
      pending_.push({now_ps, arrivals_++, 0, 0, true});
      continue;
    }
    const auto* sqe = std::get_if<nvme::Sqe>(&pdu.body);
    nvme::ReadCmd rd;
    if (!sqe || !nvme::ReadCmd::from_sqe(*sqe, rd)) {
      failure_ = "host sent a PDU other than a read command";
      return;
    }
    pending_.push({now_ps + svc_.service_ps(), arrivals_++, rd.cid, rd.length, false});
  }
}

std::optional<uint64_t> NvmeTarget::next_ready() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.top().ready_ps;
}

void NvmeTarget::take_ready(uint64_t now_ps, const Write& write) {
  while (!pending_.empty() && pending_.top().ready_ps <= now_ps) {
    const Pending p = pending_.top();
    pending_.pop();
    respond(p, write);
  }
}

void NvmeTarget::respond(const Pending& p, const Write& write) {
  if (p.ic_resp) {
    nvme::IcResp r;
    r.dgst = uint8_t((cp_.hdgst ? 1 : 0) | (cp_.ddgst ? 2 : 0));
    write(nvme::encode_ic_resp(r));
    return;
  }
  ++st_.reads;
  const Bytes& data = svc_.data(p.order, p.length);
  const bool success = svc_.rng().chance(p_.success_flag);
  const uint32_t chunk = p_.max_pdu_data ? p_.max_pdu_data : std::max<uint32_t>(p.length, 1);
  for (uint32_t off = 0; off < p.length; off += chunk) {
    const uint32_t n = std::min(chunk, p.length - off);
    const bool last = off + n == p.length;
    uint8_t flags = last ? nvme::pduflag::LAST_PDU : 0;
    if (last && success) flags |= nvme::pduflag::SUCCESS;
    nvme::DataHdr h;
    h.cccid = p.cid;
    h.datao = off;
    h.datal = n;
    write(nvme::encode_data(nvme::PduType::C2HData, h, flags, ByteView(data.data() + off, n), cp_));
    ++st_.data_pdus;
    st_.data_bytes += n;
  }
  ++sqhd_;
  if (success) {
    ++st_.success_flags;
    return;
  }
  nvme::Cqe c;
  c.cid = p.cid;
  c.sqhd = sqhd_;
  write(nvme::encode_capsule_resp(c, cp_));
}

}  // namespace nic::loop
