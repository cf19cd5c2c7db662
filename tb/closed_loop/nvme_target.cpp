#include "tb/closed_loop/nvme_target.hpp"

#include <algorithm>
#include <cmath>

namespace nic::loop {

NvmeTarget::NvmeTarget(const NvmeTargetParams& p)
    : p_(p), rng_(gen::Rng::derive(p.seed, 0x7a67u, p.conn)) {}

uint64_t NvmeTarget::service_ps() {
  if (!p_.service_exponential) return p_.service_ps;
  // Inverse transform; 1 - unit() is in (0, 1], so the log is finite.
  return uint64_t(-std::log(1.0 - rng_.unit()) * double(p_.service_ps));
}

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
    pending_.push({now_ps + service_ps(), arrivals_++, rd.cid, rd.length, false});
  }
}

std::optional<uint64_t> NvmeTarget::next_ready() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.top().ready_ps;
}

void NvmeTarget::take_ready(uint64_t now_ps, const std::function<void(ByteView)>& write) {
  while (!pending_.empty() && pending_.top().ready_ps <= now_ps) {
    const Pending p = pending_.top();
    pending_.pop();
    respond(p, write);
  }
}

void NvmeTarget::respond(const Pending& p, const std::function<void(ByteView)>& write) {
  if (p.ic_resp) {
    nvme::IcResp r;
    r.dgst = uint8_t((cp_.hdgst ? 1 : 0) | (cp_.ddgst ? 2 : 0));
    write(nvme::encode_ic_resp(r));
    return;
  }
  ++st_.reads;
  // The read's own stream of bytes, whatever else the run does.
  gen::Rng d = gen::Rng::derive(p_.seed ^ 0xda7au, p_.conn, p.order);
  data_.resize(p.length);
  for (size_t i = 0; i < data_.size(); i += 8) {
    const uint64_t w = d.next();
    std::copy_n(reinterpret_cast<const uint8_t*>(&w), std::min<size_t>(8, data_.size() - i),
                data_.data() + i);
  }
  const bool success = rng_.chance(p_.success_flag);
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
    write(nvme::encode_data(nvme::PduType::C2HData, h, flags, ByteView(data_.data() + off, n), cp_));
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
