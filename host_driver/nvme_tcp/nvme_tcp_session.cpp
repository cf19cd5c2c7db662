#include "host_driver/nvme_tcp/nvme_tcp_session.hpp"

#include <algorithm>

#include "host_driver/nvme_tcp/nvme_rx.hpp"

namespace nic::host {

bool NvmeTcpSession::opens_tx(ByteView payload) const {
  return nvme::starts_with_ic_pdu(payload, nvme::PduType::ICReq);
}

bool NvmeTcpSession::opens_rx(ByteView payload) const {
  return nvme::starts_with_ic_pdu(payload, nvme::PduType::ICResp);
}

void NvmeTcpSession::tx(ByteView bytes, const OnRead& read) {
  tx_dec_.feed(bytes);
  nvme::Pdu pdu;
  nvme::PduError err;
  while (tx_dec_.next(pdu, err, false)) {
    if (err != nvme::PduError::None) continue;
    if (pdu.ch.type == nvme::PduType::ICReq) {
      // The host's own PDUs carry the digests it asked for.
      const auto& req = std::get<nvme::IcReq>(pdu.body);
      hpda_ = req.hpda;
      nvme::ConnParams cp;
      cp.hdgst = req.dgst & 1;
      cp.ddgst = req.dgst & 2;
      cp.hpda = req.hpda;
      tx_dec_.set_params(cp);
    } else if (pdu.ch.type == nvme::PduType::CapsuleCmd) {
      nvme::ReadCmd rc;
      if (nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) read(rc.cid, rc.length);
    }
  }
}

size_t NvmeTcpSession::rx_setup(ByteView bytes) {
  // The ICResp is the stream's first PDU, of a fixed length.
  const size_t n = std::min(nvme::kIcPduLen - icresp_.size(), bytes.size);
  icresp_.insert(icresp_.end(), bytes.data, bytes.data + n);
  if (icresp_.size() < nvme::kIcPduLen) return n;
  nvme::Pdu pdu;
  if (nvme::decode_pdu(icresp_, nvme::ConnParams{}, pdu) != nvme::PduError::None ||
      pdu.ch.type != nvme::PduType::ICResp) {
    refused_ = true;
    return n;
  }
  const auto& r = std::get<nvme::IcResp>(pdu.body);
  cp_.hdgst = r.dgst & 1;
  cp_.ddgst = r.dgst & 2;
  cp_.hpda = hpda_;
  cp_.cpda = r.cpda;
  ready_ = true;
  return n;
}

std::unique_ptr<ReadRx> NvmeTcpSession::make_rx(BufferIo& io, uint32_t seq,
                                                std::function<void(const CmdResult&)> done,
                                                std::function<void(uint32_t)> resync) const {
  return std::make_unique<NvmeRx>(cp_, io, seq, std::move(done), std::move(resync));
}

SkConfig NvmeTcpSession::offload(uint32_t seq, uint32_t queue_size) const {
  SkConfig sk;
  sk.seq = seq;
  sk.flags = uint8_t((cp_.hdgst ? 1 : 0) | (cp_.ddgst ? 2 : 0));
  sk.pda = cp_.hpda;
  sk.queue_size = queue_size;
  sk.slot_rule = abi::nvme_tcp_slot_rule(queue_size);
  sk.ulp = abi::Ulp::NvmeTcp;
  return sk;
}

std::string NvmeTcpSession::failure(const ReadRx& rx) const {
  const nvme::PduError e = static_cast<const NvmeRx&>(rx).failure_error();
  return e == nvme::PduError::None ? std::string("C2HTermReq from the controller")
                                   : std::string("framing lost: ") + nvme::to_string(e);
}

}  // namespace nic::host
