#include "hw/parser/PduParser.hpp"

#include <algorithm>

namespace nic::hw {

PduParser::PduParser(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
                     StreamChannel<Beat>& out, FlowContexts& flows, uint32_t latency,
                     uint32_t cycles_per_extra_header, uint32_t search_bytes_per_cycle)
    : PipelineStage(name, clk, in, out, latency, kPduParser), flows_(flows), extra_(cycles_per_extra_header),
      search_rate_(search_bytes_per_cycle) {}

int32_t PduParser::context_of(const Beat& b) const {
  const PacketCtx& p = *b.pkt;
  return b.sop && p.bypass == Bypass::None && flows_.get(p.flow) ? p.flow : FlowContexts::kNone;
}

bool PduParser::ready(const Beat& b) {
  if (!cache_ || cache_->bypass_on_miss()) return true;
  const int32_t slot = context_of(b);
  if (slot == FlowContexts::kNone) return true;
  const bool on_chip = cache_->acquire(slot, true);
  if (!on_chip && waiting_ != b.pkt) {
    waiting_ = b.pkt;
    wait_from_ = clk_.cycle();
    ++st_.ctx_wait_frames;
  }
  if (on_chip && waiting_ == b.pkt) {
    st_.ctx_wait_cycles += clk_.cycle() - wait_from_;
    waiting_ = nullptr;
  }
  return on_chip;
}

uint32_t PduParser::accept(Beat& b) {
  uint32_t cost = beat_cost(b);
  // The search scans the frame while its beats pass: the last beat waits for the rest.
  const uint32_t overlap = std::min(scan_left_, cost);
  scan_left_ -= overlap;
  if (b.eop) {
    cost += scan_left_;
    st_.search_cycles += scan_left_;
    scan_left_ = 0;
  }
  return cost;
}

uint32_t PduParser::beat_cost(Beat& b) {
  PacketCtx& p = *b.pkt;
  uint32_t ctx_cycles = 0;  // the cache port reading the context, on the frame's first beat
  if (b.sop) {
    cursor_ = 0;
    scan_left_ = 0;
    p.plan.clear();
    trace_flow_valid_ = false;  // until the frame turns out to be offloaded
    trace_flow_ = 0;
    trace_state_ = uint8_t(TrackerState::Disabled);
    if (p.bypass != Bypass::None) return 1;
    FlowContext* fc = flows_.get(p.flow);
    if (!fc) {
      p.bypass = Bypass::FlowMiss;
      return 1;
    }
    if (cache_) {
      // Stall: ready() made it present. Bypass: the tracker never sees this frame and meets
      // its bytes as a hole, as if the wire had lost it (docs/state.md).
      if (cache_->bypass_on_miss() && !cache_->acquire(p.flow, false)) {
        p.bypass = Bypass::CtxMiss;
        ++st_.ctx_bypass;
        return 1;
      }
      ctx_cycles = cache_->hit_cycles();
    }
    FlowContext& f = *fc;
    const uint64_t lost_before = f.tracker.stats().framing_lost;
    f.tracker.plan(p.pf.seq, ByteView(p.frame).sub(p.pf.payload_offset, p.pf.payload_len), p.plan);
    if (hook_) {
      if (p.plan.resync_request) hook_("resync");
      if (f.tracker.stats().framing_lost != lost_before) hook_("framing_lost");
    }
    trace_flow_valid_ = true;
    trace_flow_ = uint32_t(p.flow);
    trace_state_ = f.tracker.state_byte();
    trace_resyncs_ += p.plan.resync_request;
    if (!p.plan.in_seq) {
      if (p.pf.payload_len) {
        const TrackerState s = f.tracker.state();
        const bool searching = s == TrackerState::Searching || s == TrackerState::ResyncPending;
        p.bypass = !p.plan.stale && searching ? Bypass::Searching : Bypass::OutOfSeq;
        const bool srch = p.bypass == Bypass::Searching;
        ++(srch ? st_.searching : st_.out_of_seq);
        ++(srch ? f.counters.searching : f.counters.out_of_seq);
      }
      if (search_rate_) scan_left_ = (p.plan.scanned + search_rate_ - 1) / search_rate_;
      return 1 + ctx_cycles;
    }
    ++st_.frames_planned;
    st_.headers += p.plan.headers.size();
    for (const PduInfo& h : p.plan.headers)
      if (h.err) {
        ++st_.header_errors;
        auto& by = st_.header_errors_by[size_t(f.ulp)];
        ++by[std::min<size_t>(h.err, by.size() - 1)];
      }
  }
  if (p.bypass != Bypass::None || !p.plan.in_seq) return 1;
  uint32_t starts = 0;
  for_each_slice(p, b, cursor_, [&](const Segment& s) {
    starts += s.region == Region::Header && s.pdu_off == 0;
  });
  const uint32_t extra = extra_cycles(starts, extra_);
  st_.extra_header_cycles += extra;
  return 1 + ctx_cycles + extra;
}

}  // namespace nic::hw
