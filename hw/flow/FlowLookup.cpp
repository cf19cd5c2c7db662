#include "hw/flow/FlowLookup.hpp"

namespace nic::hw {

FlowLookup::FlowLookup(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
                       StreamChannel<Beat>& out, const FlowTable& table, uint32_t latency)
    : PipelineStage(name, clk, in, out, latency, kFlowLookup), table_(table) {}

uint32_t FlowLookup::accept(Beat& b) {
  if (!b.sop || b.pkt->bypass != Bypass::None) return 1;
  PacketCtx& p = *b.pkt;
  p.flow = table_.lookup(p.pf.tuple);
  if (p.flow == FlowTable::kMiss) {
    p.bypass = Bypass::FlowMiss;
    ++misses_;
  } else if (cache_) {
    cache_->prefetch(p.flow);
  }
  return 1;
}

}  // namespace nic::hw
