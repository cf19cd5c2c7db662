#include "hw/crc/Crc32cPipeline.hpp"

#include <algorithm>

namespace nic::hw {

Crc32cPipeline::Crc32cPipeline(sc_core::sc_module_name name, ClockDomain& clk,
                               StreamChannel<Beat>& in, StreamChannel<Beat>& out,
                               FlowContexts& flows, uint32_t latency,
                               uint32_t cycles_per_extra_segment, uint32_t combine_cycles)
    : PipelineStage(name, clk, in, out, latency, kCrc), flows_(flows),
      extra_(cycles_per_extra_segment), combine_(combine_cycles) {}

uint32_t Crc32cPipeline::accept(Beat& b) {
  PacketCtx& p = *b.pkt;
  const bool framed = p.bypass == Bypass::None && p.plan.in_seq;
  // A retransmission may fill a hole of a PDU the engine still holds open.
  const bool stale = p.bypass == Bypass::OutOfSeq && p.plan.stale;
  FlowContext* fc = flows_.get(p.flow);  // null: the flow left (sk_del) since it was framed
  if ((!framed && !stale) || !fc) return 1;
  CrcEngine& crc = fc->crc;
  if (b.sop) {
    cursor_ = 0;
    combines_charged_ = 0;
    crc.begin_packet();
    if (p.plan.recovered)
      crc.track(p.plan.recovered_seq, p.plan.recovered_data_off, p.plan.recovered_crc_len);
  }
  const uint32_t po = uint32_t(p.pf.payload_offset);
  const uint8_t* payload = p.frame.data() + po;
  uint32_t extra = 0;
  if (framed) {
    PduCount digested;
    for_each_slice(p, b, cursor_, [&](const Segment& s) {
      crc.feed(s, ByteView(payload + s.off, s.len));
      if (s.ddgst && (s.region == Region::Data || s.region == Region::DataDigest)) digested.add(s);
    });
    extra = extra_cycles(digested.count(), extra_);
    extra_cycles_ += extra;
  } else {
    const uint32_t lo = std::max<uint32_t>(b.off, po);
    const uint32_t hi = std::min<uint32_t>(b.off + b.len, po + uint32_t(p.pf.payload_len));
    if (lo < hi)
      extra = extra_cycles(crc.feed_stale(p.pf.seq + (lo - po), ByteView(p.frame.data() + lo, hi - lo),
                                          p.plan.header_seq, p.plan.header_len),
                           extra_);
    extra_cycles_ += extra;
  }
  // The beat waits while the combine unit joins the pieces it made adjacent.
  const uint32_t joined = crc.result().combines - combines_charged_;
  combines_charged_ += joined;
  const uint32_t combine = joined * combine_;
  combine_cycles_ += combine;
  if (b.eop) {
    p.crc_ok = crc.result().crc_ok;
    crc_ok_ += p.crc_ok;
  }
  return 1 + extra + combine;
}

}  // namespace nic::hw
