// Per-flow NVMe/TCP PDU framing for the controller->host (C2H) direction: the NIC receive
// parser's view of where each PDU and each part of it lies in the TCP byte stream.
//
// For every packet of a flow, `PduTracker::plan` cuts the TCP payload into segments, each one
// region (header, header digest, pad, data, data digest) of one PDU, and reports every PDU
// header that completes in the packet. Placement and the data digest engine act on the
// segments; the tracker itself never looks at data bytes, only at header and HDGST bytes.
//
// Tracker states (ConnectX-7 calls them START/TRACKING/SEARCHING):
//   Offloading     framing known, every byte seen in order since the last PDU boundary;
//   Tracking       framing known but bytes were missed (CRC cannot be trusted)    [not yet];
//   Searching      framing lost, scanning for a plausible header                  [not yet];
//   ResyncPending  candidate header found, waiting for the driver's confirmation  [not yet];
//   Disabled       offload stopped for good: out-of-sequence packet or untrusted header.
// Plain C++ (no SystemC); per packet it does no allocation once the plan's vectors have grown.
#pragma once
#include <cstdint>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::hw {

struct TrackerConfig {
  nvme::ConnParams cp;               // digests and HPDA negotiated for the connection
  bool header_digest_check = true;   // verify HDGST when negotiated
  // PLEN above this is taken as garbage (framing error). Targets send at most one command's
  // data per PDU (Linux nvmet) or 128 KiB (SPDK); 16 MiB leaves room for large MDTS.
  uint32_t max_pdu_len = 16u << 20;
};

enum class TrackerState : uint8_t { Offloading, Tracking, Searching, ResyncPending, Disabled };
const char* to_string(TrackerState s);

// Regions of a PDU in wire order; `Unframed` marks bytes after a framing error, which belong
// to no PDU the NIC can name (software handles them).
enum class Region : uint8_t { Header, HeaderDigest, Pad, Data, DataDigest, Unframed };
const char* to_string(Region r);

// A run of payload bytes of one region of one PDU, in one packet.
struct Segment {
  Region region = Region::Unframed;
  // PDU fields, meaningful for every region after Header (header contents are reported
  // through PacketPlan::headers).
  nvme::PduType type = nvme::PduType::ICReq;
  uint8_t flags = 0;          // PDU FLAGS (LAST_PDU, SUCCESS, ...)
  bool completes_pdu = false; // the segment's last byte is the PDU's last byte
  uint16_t cid = 0;           // C2HData/R2T CCCID, CapsuleResp CID; 0 otherwise
  uint32_t off = 0;           // first byte, as offset in the packet's TCP payload
  uint32_t len = 0;
  uint32_t pdu_seq = 0;       // TCP sequence of the PDU's first byte (identifies the PDU)
  uint32_t pdu_off = 0;       // offset of the segment's first byte from the PDU's first byte
  // Data region: offset of the first byte in the command buffer, DATAO + offset within the
  // PDU's data for C2HData; for TermReq error data just the offset within it. 0 elsewhere.
  // Only C2HData data is placeable: check `type` before placing.
  uint32_t buf_off = 0;

  // The part [from, from + n) of this segment, described the same way: lets a beat pipeline
  // handle a segment in pieces.
  Segment slice(uint32_t from, uint32_t n) const;
};

// A PDU header that completed (with its HDGST if any) or failed in this packet.
struct PduInfo {
  uint32_t seq = 0;           // TCP sequence of the PDU's first byte
  nvme::CommonHeader ch;
  uint16_t cid = 0;           // as Segment::cid
  uint32_t datao = 0, datal = 0;  // C2HData only
  // None, or why framing cannot be trusted (validation, DATAL, PLEN limit, BadHeaderDigest);
  // a type a host never receives is reported as UnknownType. Any error disables the flow.
  nvme::PduError err = nvme::PduError::None;
  bool hdgst_ok = false;      // HDGST present, checked and matching
};

struct PacketPlan {
  // The packet was processed: it carried the expected sequence in Offloading state. When
  // false the packet passes untouched and `segs`/`headers` are empty.
  bool in_seq = false;
  std::vector<Segment> segs;     // in payload order, tiling the payload exactly when in_seq
  std::vector<PduInfo> headers;  // in stream order
};

class PduTracker {
 public:
  // sk_add: offload starts with a PDU boundary at `next_pdu_seq`. A tracker that was never
  // started is Disabled.
  void start(uint32_t next_pdu_seq, const TrackerConfig& cfg);

  // Frames one packet's TCP payload starting at sequence `seq`; `out` is overwritten (its
  // vectors keep their capacity). A packet whose sequence is not exactly the expected one
  // (gap, retransmission, overlap) is not processed and disables the flow. An empty payload
  // (pure ACK, keepalive) never changes state; its in_seq tells whether seq was expected.
  void plan(uint32_t seq, ByteView payload, PacketPlan& out);

  TrackerState state() const { return state_; }
  uint32_t expected_seq() const { return expected_; }  // sequence of the next byte expected

 private:
  void frame(ByteView payload, PacketPlan& out);
  void consume_header(const uint8_t* p, uint32_t n);
  void region_done(PacketPlan& out);
  void report(PacketPlan& out, nvme::PduError err, bool hdgst_ok);
  void enter_region(PacketPlan& out);  // the region holding pos_, or the end of the PDU
  void begin_pdu(uint32_t seq);
  void emit(PacketPlan& out, uint32_t off, uint32_t len) const;

  static constexpr uint32_t kStoredHeader = 24;  // fields beyond byte 24 are never needed

  TrackerConfig cfg_;
  TrackerState state_ = TrackerState::Disabled;
  uint32_t expected_ = 0;

  // Current PDU.
  uint32_t pdu_seq_ = 0;
  uint32_t pos_ = 0;          // bytes of the PDU consumed
  Region region_ = Region::Header;
  uint32_t region_end_ = 0;   // pos_ where the current region (or header step) ends
  bool ch_known_ = false;     // common header decoded
  nvme::CommonHeader ch_;
  nvme::PduLayout lay_;
  uint16_t cid_ = 0;
  uint32_t datao_ = 0, datal_ = 0;
  uint8_t hdr_[kStoredHeader] = {};
  uint8_t hdgst_[nvme::kDigestLen] = {};
  uint32_t hcrc_ = 0;         // running CRC32C register over header bytes
};

}  // namespace nic::hw
