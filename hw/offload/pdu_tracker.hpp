// Per-flow PDU framing for the receive direction: the NIC receive parser's view of where each
// PDU and each part of it lies in the TCP byte stream. Protocol-neutral: what a PDU looks like
// comes from the protocol class `Proto` (hw/offload/pdu_protocol.hpp; NVMe/TCP's is
// hw/offload/nvme_tcp/, whose PduTracker is this framer for NVMe/TCP).
//
// For every packet of a flow, `PduFramer::plan` cuts the TCP payload into segments, each one
// region (header, header digest, pad, data, data digest) of one PDU, and reports every PDU
// header that completes in the packet. Placement and the data digest engine act on the
// segments; the tracker itself never looks at data bytes, only at header and HDGST bytes.
//
// Tracker states (ConnectX-7 calls them START/TRACKING/SEARCHING):
//   Offloading     framing known, every byte seen in order since the last PDU boundary;
//   Tracking       framing known but bytes of the current PDU were missed: its data is still
//                  placed (when its header was seen) but not CRC-verified; full offload
//                  resumes at the next PDU boundary;
//   Searching      framing lost (a hole covered a header): in-order arrivals are scanned for
//                  plausible headers, each candidate followed by its PLEN to where the next
//                  header must be; nothing is placed;
//   ResyncPending  a candidate's chain reached a second header: the driver is asked to confirm
//                  that sequence (a new request at each further header); nothing is placed
//                  until it confirms, then offload resumes at the next PDU boundary;
//   Disabled       offload stopped for good: an untrusted header, or framing lost with
//                  searching switched off.
// Header recovery: when a hole swallows a header whose position the tracker knew (from the
// previous PDU's PLEN), the retransmission that later fills the hole carries that header. The
// tracker reads it from the retransmitted packet (without touching the packet) and, when it
// is valid, regains framing on its own: no candidate, no driver round trip, and placement
// resumes at once (Tracking) since the header's I/O tag and buffer offset are known.
// Packets before the expected sequence (retransmissions, duplicates) always pass untouched
// and never change the state: bytes already placed are never placed twice.
// Plain C++ (no SystemC); per packet it does no allocation once the plan's vectors have grown.
#pragma once
#include <cstdint>
#include <vector>

#include "hw/common/packet_plan.hpp"
#include "hw/offload/pdu_protocol.hpp"
#include "util/bytes.hpp"

namespace nic::hw {

template <class Proto>
struct FramerConfig {
  typename Proto::Conn cp;           // what the connection negotiated (digests, alignment)
  bool header_digest_check = true;   // verify HDGST when negotiated
  // A longer PDU is taken as garbage (framing error). NVMe/TCP targets send at most one
  // command's data per PDU (Linux nvmet) or 128 KiB (SPDK); 16 MiB leaves room for large MDTS.
  uint32_t max_pdu_len = 16u << 20;
  // Out-of-order recovery.
  bool search = true;               // off: losing framing disables the flow
  uint32_t search_delay_bytes = 0;  // stream bytes past a hole before the scan starts
  uint32_t max_candidates = 4;      // candidate header chains followed at once
  bool recover_headers = true;      // read a lost header from its retransmission
};

enum class TrackerState : uint8_t { Offloading, Tracking, Searching, ResyncPending, Disabled };
const char* to_string(TrackerState s);

struct TrackerStats {
  uint64_t holes = 0;             // packets after a gap
  uint64_t holes_in_data = 0;     // ... whose gap kept framing (Tracking)
  uint64_t framing_lost = 0;      // ... whose gap covered a header
  uint64_t stale = 0;             // retransmitted or duplicated packets passed untouched
  uint64_t candidates = 0;        // plausible headers found while searching
  uint64_t candidates_dropped = 0;  // whose PLEN led to no header (lookalikes)
  uint64_t resync_requests = 0;
  uint64_t resyncs_confirmed = 0;
  uint64_t resyncs_ignored = 0;   // confirmations for no live candidate
  uint64_t headers_recovered = 0; // framing regained from a retransmitted header
  TrackerStats& operator+=(const TrackerStats& o);
};

template <class Proto>
class PduFramer {
 public:
  using Config = FramerConfig<Proto>;

  // sk_add: offload starts with a PDU boundary at `next_pdu_seq`. A tracker that was never
  // started is Disabled.
  void start(uint32_t next_pdu_seq, const Config& cfg);

  // Frames one packet's TCP payload starting at sequence `seq`; `out` is overwritten (its
  // vectors keep their capacity). A packet whose sequence is not exactly the expected one
  // (gap, retransmission, overlap) is not processed and disables the flow. An empty payload
  // (pure ACK, keepalive) never changes state; its in_seq tells whether seq was expected.
  void plan(uint32_t seq, ByteView payload, PacketPlan& out);

  // The driver confirmed that a PDU header starts at `seq`. Accepted only for a sequence
  // this tracker asked about whose candidate chain is still alive; then framing is known
  // again and offload resumes at the next PDU boundary. Returns whether it was accepted.
  bool confirm(uint32_t seq);

  TrackerState state() const { return state_; }
  uint32_t expected_seq() const { return expected_; }  // sequence of the next byte expected
  const TrackerStats& stats() const { return st_; }
  // The state as one byte, for waveform tracing.
  const uint8_t& state_byte() const { return reinterpret_cast<const uint8_t&>(state_); }

 private:
  void frame(ByteView payload, PacketPlan& out);
  void consume_header(const uint8_t* p, uint32_t n);
  void region_done(PacketPlan& out);
  void report(PacketPlan& out, uint8_t err, bool hdgst_ok);
  void enter_region(PacketPlan& out);  // the region holding pos_, or the end of the PDU
  void set_region();                   // the region holding pos_ (< PLEN, header done)
  void load_fields();                  // I/O tag, buffer offset from the stored header
  void begin_pdu(uint32_t seq);
  void emit(PacketPlan& out, uint32_t off, uint32_t len) const;
  // A gap up to seq: true if framing survives it.
  bool keep_framing(uint32_t seq, PacketPlan& out);
  void lose_framing(uint32_t seq, ByteView payload, PacketPlan& out);
  // Header bytes from a packet behind us.
  bool recover(uint32_t seq, ByteView bytes, PacketPlan& out);
  // Framing regained mid-PDU.
  void resume_at(uint32_t pdu_seq, const uint8_t* hdr, PacketPlan& out);
  // The current PDU ends here: a completion if its header was seen and it completes a read.
  void pdu_ended(PacketPlan& out) const;
  void scan(ByteView payload, PacketPlan& out);
  void end_search();  // framing is known again: the scan window goes
  // A plausible PDU header at h (search_len bytes available); its PLEN.
  bool plausible(const uint8_t* h, uint32_t& plen) const {
    return Proto::plausible(h, cfg_.cp, cfg_.max_pdu_len, plen);
  }
  uint32_t scan_header_len() const { return Proto::search_len(cfg_.cp); }

  // A chain of headers found while searching: each one's PLEN led to the next.
  struct Candidate {
    uint32_t first = 0;  // sequence of the first header found
    uint32_t last = 0;   // of the latest header verified
    uint32_t next = 0;   // where the next header must start
    uint32_t links = 0;  // headers verified after the first
    uint32_t asked = 0;  // sequence of the latest resync request for this chain
  };

  static constexpr uint32_t kStoredHeader = Proto::kMaxHeaderLen;
  static constexpr uint32_t kDigestLen = 4;  // CRC32C

  Config cfg_;
  TrackerState state_ = TrackerState::Disabled;
  uint32_t expected_ = 0;

  // Current PDU.
  uint32_t pdu_seq_ = 0;
  uint32_t pos_ = 0;          // bytes of the PDU consumed
  Region region_ = Region::Header;
  uint32_t region_end_ = 0;   // pos_ where the current region (or header step) ends
  bool lay_known_ = false;    // the prefix was decoded: lay_ holds the PDU's layout
  bool hdr_ok_ = false;       // the whole header was seen and passed: tag and flags known
  PduLayout lay_;
  PduFields fields_;
  uint8_t hdr_[kStoredHeader] = {};
  uint8_t hdgst_[kDigestLen] = {};
  uint32_t hcrc_ = 0;         // running CRC32C register over header bytes

  // Searching.
  std::vector<Candidate> cands_;
  uint32_t scan_from_ = 0;    // no candidate starts before this sequence (search delay)
  Bytes window_;              // tail of the previous packet + this packet, for split headers
  uint32_t tail_len_ = 0;
  // Header recovery: the header known to start at `at` was lost in a hole.
  static_assert(Proto::kMaxSearchLen < 64, "Recovery::have holds a bit per header byte");
  struct Recovery {
    bool active = false;
    uint32_t at = 0;
    uint8_t bytes[Proto::kMaxSearchLen] = {};
    uint64_t have = 0;  // bit i: byte i collected
  } rec_;
  TrackerStats st_;
};

}  // namespace nic::hw
