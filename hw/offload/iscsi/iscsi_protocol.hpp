// iSCSI as the offload engine sees it (hw/offload/pdu_protocol.hpp): the PDUs an initiator
// receives in full-feature phase, their layout from the first 8 bytes of the BHS (AHS and
// DataSegmentLength), the ITT and Buffer Offset of Data-In, and which PDUs end a task. Plain
// C++; inline, since the framer calls it for every PDU.
//
// What differs from NVMe/TCP: the pad follows the data and the data digest covers it; tags
// (ITTs) are 32 bits; a READ ends with status in its last Data-In (S bit) or with a SCSI
// Response; a header's length is 48 plus its AHS.
#pragma once
#include <cstdint>

#include "hw/abi/nic_abi.hpp"
#include "hw/offload/pdu_protocol.hpp"
#include "proto/crc32c.hpp"
#include "proto/iscsi.hpp"
#include "util/bytes.hpp"

namespace nic::hw {

struct IscsiProtocol final {
  // Target-to-initiator direction: digests, and the initiator's MaxRecvDataSegmentLength.
  using Conn = iscsi::ConnParams;

  static constexpr uint32_t kPrefixLen = 8;  // opcode, flags, TotalAHSLength, DSL
  static constexpr uint32_t kMaxHeaderLen = iscsi::kBhsLen;  // AHS bytes are never needed
  static constexpr uint32_t kMaxSearchLen = iscsi::kBhsLen + iscsi::kDigestLen;
  static constexpr uint8_t kBadHeaderDigest = uint8_t(iscsi::PduError::BadHeaderDigest);
  static constexpr uint8_t kPduTooLarge = uint8_t(iscsi::PduError::DataSegmentTooLong);

  static constexpr uint8_t kStatusBit = 0x01;  // Data-In S: status (and the task's end) here

  // Only the fields of bytes 0-7 are read here (the rest of the BHS is not in yet).
  static uint8_t begin(const uint8_t* prefix, const Conn& cp, uint32_t max_pdu_len,
                       PduLayout& lay) {
    const iscsi::Bhs h = iscsi::Bhs::decode(prefix);
    lay.opcode = uint8_t(h.opcode);
    lay.flags = h.flags;
    const iscsi::PduLayout l = iscsi::layout_of(h, cp);
    lay.hlen = uint16_t(l.hlen);
    lay.plen = l.total_len;
    if (!iscsi::is_known_opcode(prefix[0] & iscsi::kOpcodeMask) ||
        !iscsi::sent_by_target(h.opcode))
      return uint8_t(iscsi::PduError::UnknownOpcode);
    if (h.data_length > cp.max_data_segment || l.total_len > max_pdu_len) return kPduTooLarge;
    lay.hdgst_len = uint8_t(l.hdgst_len);
    lay.data_off = l.data_offset;
    lay.data_len = l.data_len;
    lay.ddgst_len = uint8_t(l.ddgst_len);
    lay.ddgst_covers_pad = true;
    return 0;
  }

  static bool header_digest(const Conn& cp) { return cp.hdgst; }

  // The ITT's index lives in its low bits (Linux's open-iscsi keeps an age above them).
  static constexpr abi::TagSlotRule slot_rule(uint32_t queue_size) {
    return abi::iscsi_slot_rule(queue_size);
  }

  static void fields(const uint8_t* hdr, const PduLayout& lay, PduFields& f) {
    using iscsi::Opcode;
    const auto op = Opcode(lay.opcode);
    f = {};
    if (op == Opcode::DataIn || op == Opcode::ScsiResponse) f.io_tag = ld_be32(hdr + 16);
    if (op == Opcode::DataIn) {
      f.buf_off = ld_be32(hdr + 40);
      f.placeable = true;
    }
    f.ends_io = op == Opcode::ScsiResponse || (op == Opcode::DataIn && (lay.flags & kStatusBit));
  }

  // The whole BHS, after its digest (a corrupt header explains any inconsistency inside it).
  static uint8_t check(const uint8_t* hdr, const PduLayout&) {
    return uint8_t(iscsi::validate_bhs(hdr, iscsi::ConnParams{}));
  }

  static uint32_t search_len(const Conn& cp) {
    return iscsi::kBhsLen + (cp.hdgst ? iscsi::kDigestLen : 0);
  }

  // A target PDU with every reserved field zero, a data segment within the initiator's limit
  // and, when negotiated, a matching header digest. Headers with an AHS are not searched for
  // (their digest lies beyond what the search reads; a target's Data-In carries none).
  static bool plausible(const uint8_t* h, const Conn& cp, uint32_t max_pdu_len, uint32_t& plen) {
    PduLayout lay;
    if (h[4] != 0 || begin(h, cp, max_pdu_len, lay) || check(h, lay)) return false;
    if (cp.hdgst && crc32c::compute(h, iscsi::kBhsLen) != ld_le32(h + iscsi::kBhsLen))
      return false;
    plen = lay.plen;
    return true;
  }
};

}  // namespace nic::hw
