// The plan of one packet's TCP payload that the framer (hw/offload/pdu_tracker) hands to the
// blocks after it: which region of which PDU each byte is, the headers that completed, the
// I/Os that ended. Protocol-neutral: PDU types, flags and error codes are the protocol's
// (hw/offload/pdu_protocol.hpp), tags are 32-bit. It travels in the packet's context
// (hw/common/packet.hpp). Plain C++.
#pragma once
#include <cstdint>
#include <vector>


namespace nic::hw {

// Regions of a PDU in wire order; `Unframed` marks bytes after a framing error, which belong
// to no PDU the NIC can name (software handles them).
enum class Region : uint8_t { Header, HeaderDigest, Pad, Data, DataDigest, Unframed };
const char* to_string(Region r);

// A run of payload bytes of one region of one PDU, in one packet.
struct Segment {
  Region region = Region::Unframed;
  // PDU fields, meaningful for every region after Header (header contents are reported
  // through PacketPlan::headers).
  uint8_t opcode = 0;         // the protocol's PDU type
  uint8_t flags = 0;          // the protocol's PDU flags
  bool placeable = false;     // Data bytes go to the I/O's registered buffer (NVMe/TCP: C2HData)
  bool completes_pdu = false; // the segment's last byte is the PDU's last byte
  // Pad bytes after the data that the data digest covers too (iSCSI; PduLayout::crc_pad).
  uint8_t crc_pad = 0;
  bool ddgst = false;         // the PDU ends with a data digest (placeable or not)
  uint32_t io_tag = 0;        // the I/O the PDU names (NVMe/TCP: CCCID or CID); 0 for none
  uint32_t off = 0;           // first byte, as offset in the packet's TCP payload
  uint32_t len = 0;
  uint32_t pdu_seq = 0;       // TCP sequence of the PDU's first byte (identifies the PDU)
  uint32_t pdu_off = 0;       // offset of the segment's first byte from the PDU's first byte
  // Data region: offset of the first byte in the I/O's buffer (NVMe/TCP: DATAO + offset
  // within the PDU's data); for data that is not placeable just the offset within it. 0
  // elsewhere. Check `placeable` before placing.
  uint32_t buf_off = 0;
  // Where the PDU's data lies (offset from its first byte, length); known once its header
  // was parsed, so set on every region after Header.
  uint32_t data_off = 0, data_len = 0;

  // The part [from, from + n) of this segment, described the same way: lets a beat pipeline
  // handle a segment in pieces.
  Segment slice(uint32_t from, uint32_t n) const {
    Segment s = *this;
    s.off += from;
    s.len = n;
    s.pdu_off += from;
    if (region == Region::Data) s.buf_off += from;
    s.completes_pdu = completes_pdu && from + n == len;
    return s;
  }
};

// A PDU header that completed (with its HDGST if any) or failed in this packet.
struct PduInfo {
  uint32_t seq = 0;           // TCP sequence of the PDU's first byte
  uint8_t opcode = 0, flags = 0;  // as Segment
  uint32_t plen = 0;          // the PDU's length, as its header says
  uint32_t io_tag = 0;        // as Segment
  uint32_t buf_off = 0;       // placeable PDUs: where its data goes in the I/O's buffer
  uint32_t data_len = 0;      // data bytes the layout leaves
  // 0, or the protocol's code for why framing cannot be trusted (NVMe/TCP: nvme::PduError:
  // validation, DATAL, PLEN limit, BadHeaderDigest; a type a host never receives is
  // UnknownType). Any error disables the flow.
  uint8_t err = 0;
  bool hdgst_ok = false;      // HDGST present, checked and matching
};

// An I/O the stream completed (NVMe/TCP: a CapsuleResp, or the last byte of a C2HData with
// SUCCESS).
struct ReadEnd {
  uint32_t io_tag = 0;
  uint32_t end_seq = 0;  // TCP sequence just past the completing PDU
};

struct PacketPlan {
  // The packet was processed: it carried the expected sequence with framing known
  // (Offloading or Tracking). When false the packet passes untouched and `segs`/`headers`
  // are empty.
  bool in_seq = false;
  // A resync request rides on this packet's completion: does a PDU header start at
  // `resync_seq`? (Only while searching, so never together with in_seq.)
  bool resync_request = false;
  uint32_t resync_seq = 0;
  bool stale = false;  // before the expected sequence: a retransmission or duplicate
  // Framing was regained from a header this (stale) packet carries: the PDU starting at
  // `recovered_seq`, whose data digest covers [data_off, data_off + crc_len) of it (its data,
  // and for iSCSI the pad after it).
  bool recovered = false;
  uint32_t recovered_seq = 0, recovered_data_off = 0, recovered_crc_len = 0;
  // A stale packet may carry the header being recovered: [header_seq, header_seq + header_len)
  // are header bytes, not data (header_len 0 when no recovery is under way).
  uint32_t header_seq = 0, header_len = 0;
  // Payload bytes the header search passed over in this packet (0 unless searching): what
  // the parser's search rate is charged on.
  uint32_t scanned = 0;
  std::vector<Segment> segs;     // in payload order, tiling the payload exactly when in_seq
  std::vector<PduInfo> headers;  // in stream order
  // Completions the tracker passed with this packet, in stream order: those framed in it, and
  // those it learnt of without framing their bytes (a hole that ended at or past the end of a
  // PDU whose header it had seen, or headers read from a retransmission during recovery).
  // Placement closes the read's registration on each, so nothing after a read's completion is
  // placed into its buffer even when the completion itself was lost.
  std::vector<ReadEnd> ended;

  // Empty, keeping the vectors' storage.
  void clear() {
    in_seq = resync_request = stale = recovered = false;
    resync_seq = recovered_seq = recovered_data_off = recovered_crc_len = 0;
    header_seq = header_len = scanned = 0;
    segs.clear();
    headers.clear();
    ended.clear();
  }
};

}  // namespace nic::hw
