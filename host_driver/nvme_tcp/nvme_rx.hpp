// NVMe/TCP host receive path of one connection: the protocol-neutral receive core
// (host_driver/ulp_rx/pdu_rx) with NVMe/TCP's controller-to-host PDUs. A data PDU is C2HData
// (collected up to PDO, data placed by CID + DATAO); a read completes on its CapsuleResp or on
// a C2HData with SUCCESS; C2HTermReq ends the connection; R2T and ICResp are ignored (the
// parameters were set up front, this host only reads).
#pragma once
#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::host {

struct NvmeRxProtocol {
  using Conn = nvme::ConnParams;
  using Error = nvme::PduError;
  static constexpr Error kNone = nvme::PduError::None;
  static constexpr uint32_t kPrefixLen = nvme::kCommonHeaderLen;
  static constexpr CmdStatus kStatusError = CmdStatus::NvmeError;
  static Error prefix(const uint8_t* p, const Conn& cp, RxHead& h);
  static Error data_header(const uint8_t* hdr, const Conn& cp, RxData& d);
  static Error control(ByteView pdu, const Conn& cp, RxControl& c);
};

using NvmeRx = PduRx<NvmeRxProtocol>;
extern template class PduRx<NvmeRxProtocol>;

}  // namespace nic::host
