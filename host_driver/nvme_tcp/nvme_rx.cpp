#include "host_driver/nvme_tcp/nvme_rx.hpp"

#include "host_driver/ulp_rx/pdu_rx_impl.hpp"

namespace nic::host {

using nvme::PduError;
using nvme::PduType;

PduError NvmeRxProtocol::prefix(const uint8_t* p, const Conn& cp, RxHead& h) {
  const nvme::CommonHeader ch = nvme::CommonHeader::decode(p);
  PduError e = nvme::validate_header(ch, cp);
  if (e == PduError::None && !nvme::sent_by_controller(ch.type)) e = PduError::UnknownType;
  if (e != PduError::None) return e;
  h.data = ch.type == PduType::C2HData;
  // Data PDUs: collect up to PDO and stream the data; others are small: collect whole.
  h.need = h.data ? ch.pdo : ch.plen;
  h.pdu_len = ch.plen;
  return PduError::None;
}

PduError NvmeRxProtocol::data_header(const uint8_t* hdr, const Conn&, RxData& d) {
  const nvme::CommonHeader ch = nvme::CommonHeader::decode(hdr);
  if (ch.hdgst() && crc32c::compute(hdr, ch.hlen) != ld_le32(hdr + ch.hlen))
    return PduError::BadHeaderDigest;
  d.tag = ld_le16(hdr + 8);
  d.buf_off = ld_le32(hdr + 12);
  d.len = ld_le32(hdr + 16);
  if (d.len != nvme::layout_of(ch).data_len) return PduError::DataLengthMismatch;
  d.ddgst = ch.ddgst();
  d.ends_io = ch.flags & nvme::pduflag::SUCCESS;
  return PduError::None;
}

PduError NvmeRxProtocol::control(ByteView bytes, const Conn& cp, RxControl& c) {
  nvme::Pdu pdu;
  if (const PduError e = nvme::decode_pdu(bytes, cp, pdu); e != PduError::None) return e;
  switch (pdu.ch.type) {
    case PduType::CapsuleResp: {
      const nvme::Cqe& q = std::get<nvme::Cqe>(pdu.body);
      c.kind = RxControl::Kind::Complete;
      c.tag = q.cid;
      c.status = uint16_t(q.status >> 1);
      break;
    }
    case PduType::C2HTermReq: c.kind = RxControl::Kind::Terminate; break;
    default: c.kind = RxControl::Kind::Ignore; break;
  }
  return PduError::None;
}

template class PduRx<NvmeRxProtocol>;

}  // namespace nic::host
