#include "hw/crc/Crc32cPipeline.hpp"

namespace nic::hw {

Crc32cPipeline::Crc32cPipeline(sc_core::sc_module_name name, ClockDomain& clk,
                               StreamChannel<Beat>& in, StreamChannel<Beat>& out,
                               FlowContexts& flows, uint32_t latency)
    : PipelineStage(name, clk, in, out, latency), flows_(flows) {}

uint32_t Crc32cPipeline::accept(Beat& b) {
  PacketCtx& p = *b.pkt;
  if (p.bypass != Bypass::None || !p.plan.in_seq) return 1;
  CrcEngine& crc = flows_[size_t(p.flow)].crc;
  if (b.sop) {
    cursor_ = 0;
    crc.begin_packet();
  }
  const uint8_t* payload = p.frame.data() + p.pf.payload_offset;
  for_each_slice(p, b, cursor_, [&](const Segment& s) { crc.feed(s, ByteView(payload + s.off, s.len)); });
  if (b.eop) {
    p.crc_ok = crc.result().crc_ok;
    crc_ok_ += p.crc_ok;
  }
  return 1;
}

}  // namespace nic::hw
