// Flow lookup: hashes the 5-tuple of each TCP frame and looks it up in the set-associative
// table of offloaded connections. A miss sends the frame down the normal receive path.
// Latency: flow.lookup_cycles. Throughput: one lookup (one beat) per cycle.
#pragma once
#include "hw/common/PipelineStage.hpp"
#include "hw/flow/ContextCache.hpp"
#include "hw/flow/flow_table.hpp"

namespace nic::hw {

class FlowLookup : public PipelineStage {
 public:
  FlowLookup(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
             StreamChannel<Beat>& out, const FlowTable& table, uint32_t latency);
  uint64_t misses() const { return misses_; }
  // A matched flow's context starts its fetch here, ahead of the parser. Set before the run.
  void set_context_cache(ContextCache* c) { cache_ = c; }

 protected:
  uint32_t accept(Beat& b) override;

 private:
  const FlowTable& table_;
  ContextCache* cache_ = nullptr;
  uint64_t misses_ = 0;
};

}  // namespace nic::hw
