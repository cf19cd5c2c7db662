// iSCSI initiator receive path of one connection in full-feature phase: the protocol-neutral
// receive core (host_driver/ulp_rx/pdu_rx) with the target's PDUs. A data PDU is SCSI Data-In
// (collected up to its data, placed by ITT + Buffer Offset, the data digest covering the pad);
// a read completes on the Data-In with S or on its SCSI Response; every other target PDU is
// read whole and ignored (NOP-In, R2T, Async Message, Reject, ...: nothing a replayed reading
// initiator answers).
//
// A framing error (unknown opcode, a data segment over the initiator's MaxRecvDataSegmentLength,
// a bad header digest) ends the connection; any other rule a PDU breaks costs that PDU only:
// a Data-In is skipped and its read fails (bad_pdu).
#pragma once
#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "proto/iscsi.hpp"

namespace nic::host {

struct IscsiRxProtocol {
  using Conn = iscsi::ConnParams;  // the target's direction: iscsi::SessionParams::from_target()
  using Error = iscsi::PduError;
  static constexpr Error kNone = iscsi::PduError::None;
  static constexpr uint32_t kPrefixLen = iscsi::kBhsLen;
  static constexpr CmdStatus kStatusError = CmdStatus::ScsiError;
  static Error prefix(const uint8_t* p, const Conn& cp, RxHead& h);
  static Error data_header(const uint8_t* hdr, const Conn& cp, RxData& d);
  static Error control(ByteView pdu, const Conn& cp, RxControl& c);
};

using IscsiRx = PduRx<IscsiRxProtocol>;
extern template class PduRx<IscsiRxProtocol>;

}  // namespace nic::host
