#include "host_driver/iscsi/iscsi_rx.hpp"

#include "host_driver/ulp_rx/pdu_rx_impl.hpp"

namespace nic::host {

using iscsi::Opcode;
using iscsi::PduError;

PduError IscsiRxProtocol::prefix(const uint8_t* p, const Conn& cp, RxHead& h) {
  const iscsi::Bhs bhs = iscsi::Bhs::decode(p);
  PduError e = iscsi::validate_bhs(p, cp);
  // An initiator's opcode is unknown here whatever else its header breaks.
  if (!iscsi::breaks_framing(e) && !iscsi::sent_by_target(bhs.opcode)) e = PduError::UnknownOpcode;
  if (iscsi::breaks_framing(e)) return e;
  const iscsi::PduLayout l = iscsi::layout_of(bhs, cp);
  h.data = bhs.opcode == Opcode::DataIn;
  h.need = h.data ? l.data_offset : l.total_len;
  h.pdu_len = l.total_len;
  return PduError::None;
}

PduError IscsiRxProtocol::data_header(const uint8_t* hdr, const Conn& cp, RxData& d) {
  const iscsi::Bhs bhs = iscsi::Bhs::decode(hdr);
  const iscsi::PduLayout l = iscsi::layout_of(bhs, cp);
  if (l.hdgst_len && crc32c::compute(hdr, l.hlen) != ld_le32(hdr + l.hlen))
    return PduError::BadHeaderDigest;
  d.tag = bhs.itt;
  d.len = l.data_len;
  d.pad = uint8_t(l.pad_len);
  d.ddgst = l.ddgst_len != 0;
  // A Data-In that breaks a rule of its own (a reserved bit, S without F, an offset that
  // wraps) is taken for nothing: its data is skipped, and its read fails and ends there (the
  // initiator aborts the task: no later PDU of it is trusted to end it).
  if (iscsi::validate_bhs(hdr, cp) != PduError::None) {
    d.reject = true;
    return PduError::None;
  }
  const iscsi::PduBody body = iscsi::decode_body(hdr);
  const auto& in = std::get<iscsi::DataIn>(body);
  d.buf_off = in.buffer_offset;
  d.ends_io = in.has_status;
  d.status = in.status;
  return PduError::None;
}

PduError IscsiRxProtocol::control(ByteView bytes, const Conn& cp, RxControl& c) {
  iscsi::Pdu pdu;
  const PduError e = iscsi::decode_pdu(bytes, cp, pdu);
  if (iscsi::breaks_framing(e)) return e;
  c.kind = RxControl::Kind::Ignore;
  // A response whose sense data fails its digest still has a sound header (its digest held):
  // the status stands. Other broken PDUs are ignored.
  if (e != PduError::None && e != PduError::BadDataDigest) return PduError::None;
  // The target says it drops the connection: nothing in flight on it will complete.
  if (const auto* a = std::get_if<iscsi::AsyncMsg>(&pdu.body)) {
    if (a->event == iscsi::kAsyncDropConnection || a->event == iscsi::kAsyncDropAllConnections)
      c.kind = RxControl::Kind::Terminate;
    return PduError::None;
  }
  if (!std::holds_alternative<iscsi::ScsiResponse>(pdu.body)) return PduError::None;
  const auto& r = std::get<iscsi::ScsiResponse>(pdu.body);
  c.kind = RxControl::Kind::Complete;
  c.tag = r.itt;
  // The status is valid only when the target completed the command (response 0).
  c.status = uint16_t(r.response << 8 | r.status);
  return PduError::None;
}

template class PduRx<IscsiRxProtocol>;

}  // namespace nic::host
