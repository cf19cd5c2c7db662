// NVMe/TCP as the offload engine sees it (hw/offload/pdu_protocol.hpp): the controller-to-host
// PDUs a host receives after the IC exchange, their layout from the common header, the CID and
// DATAO of C2HData, and which PDUs complete a read. Plain C++; inline, since the framer calls
// it for every PDU.
#pragma once
#include <cstdint>

#include "hw/abi/nic_abi.hpp"
#include "hw/offload/pdu_protocol.hpp"
#include "proto/crc32c.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/bytes.hpp"

namespace nic::hw {

struct NvmeTcpProtocol final {
  using Conn = nvme::ConnParams;

  static constexpr uint32_t kPrefixLen = nvme::kCommonHeaderLen;  // HLEN, PDO and PLEN
  static constexpr uint32_t kMaxHeaderLen = 24;  // fields beyond byte 24 are never needed
  static constexpr uint32_t kMaxSearchLen = 24 + nvme::kDigestLen;
  static constexpr uint8_t kBadHeaderDigest = uint8_t(nvme::PduError::BadHeaderDigest);
  static constexpr uint8_t kPduTooLarge = uint8_t(nvme::PduError::PlenTooLarge);

  static uint8_t begin(const uint8_t* prefix, const Conn& cp, uint32_t max_pdu_len,
                       PduLayout& lay) {
    const nvme::CommonHeader ch = nvme::CommonHeader::decode(prefix);
    lay.opcode = uint8_t(ch.type);
    lay.flags = ch.flags;
    lay.hlen = ch.hlen;
    lay.plen = ch.plen;
    nvme::PduError e = nvme::validate_header(ch, cp);
    if (e == nvme::PduError::None && !nvme::sent_by_controller(ch.type))
      e = nvme::PduError::UnknownType;
    if (e == nvme::PduError::None && ch.plen > max_pdu_len) e = nvme::PduError::PlenTooLarge;
    if (e != nvme::PduError::None) return uint8_t(e);
    const nvme::PduLayout l = nvme::layout_of(ch);
    lay.hdgst_len = uint8_t(l.hdgst_len);
    lay.data_off = l.data_offset;
    lay.data_len = l.data_len;
    lay.ddgst_len = uint8_t(l.ddgst_len);
    return 0;
  }

  static bool header_digest(const Conn& cp) { return cp.hdgst; }

  // Where a CID's registration lives (the driver computes the same, hw/abi/nic_abi.hpp).
  static constexpr abi::TagSlotRule slot_rule(uint32_t queue_size) {
    return abi::nvme_tcp_slot_rule(queue_size);
  }

  static void fields(const uint8_t* hdr, const PduLayout& lay, PduFields& f) {
    using nvme::PduType;
    const auto type = PduType(lay.opcode);
    f = {};
    if (type == PduType::C2HData || type == PduType::R2T) f.io_tag = ld_le16(hdr + 8);
    if (type == PduType::CapsuleResp) f.io_tag = ld_le16(hdr + 20);
    if (type == PduType::C2HData) {
      f.buf_off = ld_le32(hdr + 12);
      f.placeable = true;
    }
    f.ends_io = type == PduType::CapsuleResp ||
                (type == PduType::C2HData && (lay.flags & nvme::pduflag::SUCCESS));
  }

  // DATAL must be the data the layout leaves, and DATAO + DATAL must not wrap at 2^32 (its
  // buffer offsets would restart at 0). Checked after HDGST: a corrupt header explains any
  // inconsistency inside it.
  static uint8_t check(const uint8_t* hdr, const PduLayout& lay) {
    if (nvme::PduType(lay.opcode) != nvme::PduType::C2HData) return 0;
    if (ld_le32(hdr + 16) != lay.data_len) return uint8_t(nvme::PduError::DataLengthMismatch);
    if (uint64_t(ld_le32(hdr + 12)) + lay.data_len > 0xFFFFFFFFu)
      return uint8_t(nvme::PduError::DataOffsetOverflow);
    return 0;
  }

  static uint32_t search_len(const Conn& cp) { return 24 + (cp.hdgst ? nvme::kDigestLen : 0); }

  // Only what a host receives after the IC exchange, with the one HLEN a host accepts.
  static bool plausible(const uint8_t* h, const Conn& cp, uint32_t max_pdu_len, uint32_t& plen) {
    const uint8_t t = h[0];
    if ((t != 0x03 && t != 0x05 && t != 0x07 && t != 0x09) || h[2] != 24) return false;
    PduLayout lay;
    if (begin(h, cp, max_pdu_len, lay) || check(h, lay)) return false;
    if (lay.hdgst_len && crc32c::compute(h, 24) != ld_le32(h + 24)) return false;
    plen = lay.plen;
    return true;
  }
};

}  // namespace nic::hw
