// What travels through the receive pipeline. A frame's bytes and everything the blocks learn
// about it live in one PacketCtx owned by a pool; the channels carry small Beat structs that
// point into it, as a hardware datapath carries a beat plus side-band metadata.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/common/latency_breakdown.hpp"
#include "hw/common/packet_plan.hpp"
#include "util/bytes.hpp"
#include "proto/net.hpp"

namespace nic::hw {

// Why a frame left the offload path (counted per reason, reported in the summary).
enum class Bypass : uint8_t {
  None,          // offloaded (or eligible)
  NotTcp,        // not TCP over IPv4/IPv6, or parse failed
  BadChecksum,   // IP or TCP checksum wrong: never offloaded
  FlowMiss,      // not an offloaded connection
  OutOfSeq,      // before the expected sequence, or the flow's offload has ended
  Searching,     // the flow lost framing and is searching or waiting for a resync
  CtxMiss,       // the flow's context was not on chip (ctx_cache.miss=bypass)
};
const char* to_string(Bypass b);

struct PacketCtx {
  uint64_t index = 0;        // record number in the trace
  Bytes frame;
  uint64_t wire_start_ps = 0;  // first bit on the wire
  uint64_t wire_end_ps = 0;    // last bit (FCS) received
  // Length on the wire when a capture cut the record short (its snap length), else 0: the
  // MAC sees only `frame`, throughput counts what the wire carried.
  uint32_t wire_len = 0;
  net::ParseError perr = net::ParseError::None;
  net::ParsedFrame pf;
  bool csum_ok = false;
  int32_t flow = -1;           // flow-table slot, -1 on a miss
  Bypass bypass = Bypass::None;
  PacketPlan plan;
  bool crc_ok = false;
  uint32_t placed_bytes = 0;
  // When the frame left each stage it has passed (the latency breakdown).
  FrameStamps stamps;

  // Clears every field for the next frame but keeps the storage of the frame and the plan,
  // so a pooled context costs no allocation in steady state.
  void reset();
};

struct Beat {
  PacketCtx* pkt = nullptr;
  uint32_t off = 0;  // first frame byte of the beat
  uint16_t len = 0;
  bool sop = false, eop = false;
};

// Waveform tag of a beat: the frame's record number in the trace, so a frame can be followed
// through the pipeline.
inline uint64_t trace_tag(const Beat& b) { return b.pkt ? b.pkt->index : 0; }

// Calls f(slice) for each part of the plan's segments that lies inside beat `b`, in order.
// `cursor` (reset to 0 at the frame's first beat) remembers where the previous beat stopped,
// so a frame costs one pass over its segments however many beats it has.
template <class F>
void for_each_slice(const PacketCtx& p, const Beat& b, size_t& cursor, F&& f) {
  const uint32_t base = uint32_t(p.pf.payload_offset);
  const uint32_t lo = b.off, hi = b.off + b.len;
  const auto& segs = p.plan.segs;
  while (cursor < segs.size()) {
    const Segment& s = segs[cursor];
    const uint32_t s_lo = base + s.off, s_hi = s_lo + s.len;
    if (s_lo >= hi) return;
    const uint32_t from = s_lo < lo ? lo : s_lo;
    const uint32_t to = s_hi < hi ? s_hi : hi;
    if (to > from) f(s.slice(from - s_lo, to - from));
    if (s_hi > hi) return;  // the segment continues in the next beat
    ++cursor;
  }
}

// Counts the PDUs that the slices handed to add() belong to; for_each_slice hands a PDU's
// slices one after another, so a change of PDU is a new one.
class PduCount {
 public:
  void add(const Segment& s) {
    n_ += !n_ || s.pdu_seq != last_;
    last_ = s.pdu_seq;
  }
  uint32_t count() const { return n_; }

 private:
  uint32_t n_ = 0, last_ = 0;
};

// What a beat that needs `units` passes of a one-per-cycle resource costs beyond its own
// cycle, at `per_extra` cycles each pass after the first.
inline uint32_t extra_cycles(uint32_t units, uint32_t per_extra) {
  return units > 1 ? (units - 1) * per_extra : 0;
}

// Recycles PacketCtx objects so steady-state packets cost no allocation.
class PacketPool {
 public:
  PacketCtx* get() {
    if (free_.empty()) {
      all_.push_back(std::make_unique<PacketCtx>());
      return all_.back().get();
    }
    PacketCtx* p = free_.back();
    free_.pop_back();
    return p;
  }
  void put(PacketCtx* p) { free_.push_back(p); }
  size_t allocated() const { return all_.size(); }
  size_t in_use() const { return all_.size() - free_.size(); }

 private:
  std::vector<std::unique_ptr<PacketCtx>> all_;
  std::vector<PacketCtx*> free_;
};

}  // namespace nic::hw
