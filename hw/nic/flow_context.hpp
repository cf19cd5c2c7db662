// Per-connection state of the offload engine, one per offloaded flow. Each block owns the
// part of it that its hardware would hold (tracker: parser, engine: CRC, DDP table:
// placement); they share one set indexed by the slot the flow lookup returned. A context
// exists only while its slot's flow is offloaded (sk_add to sk_del), so a flow table sized for
// many flows costs one pointer per unused slot.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/crc/crc_engine.hpp"
#include "hw/parser/pdu_tracker.hpp"
#include "hw/placement/ddp_table.hpp"

namespace nic::hw {

struct FlowContext {
  uint32_t handle = 0;  // the driver's name for the flow, echoed in completions
  PduTracker tracker;
  CrcEngine crc;
  DdpTable ddp;
};

class FlowContexts {
 public:
  explicit FlowContexts(uint32_t slots) : flows_(slots) {}

  // The context of the flow offloaded in `slot`, or null (no flow, or a miss).
  FlowContext* get(int32_t slot) const {
    return slot >= 0 && size_t(slot) < flows_.size() ? flows_[size_t(slot)].get() : nullptr;
  }
  // sk_add: a fresh context for `slot`. sk_del: close(slot) frees it.
  FlowContext& open(int32_t slot) {
    auto& p = flows_[size_t(slot)];
    p = std::make_unique<FlowContext>();
    p->crc.set_datapath(dp_);
    return *p;
  }
  void close(int32_t slot) { flows_[size_t(slot)].reset(); }
  // Every flow's CRC engine runs its register updates through `dp` (crc.impl=rtl); set before
  // any flow is offloaded.
  void set_crc_datapath(CrcDatapath* dp) { dp_ = dp; }

  // Calls f(const FlowContext&) for every offloaded flow, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& p : flows_)
      if (p) f(*p);
  }

 private:
  std::vector<std::unique_ptr<FlowContext>> flows_;
  CrcDatapath* dp_ = nullptr;
};

}  // namespace nic::hw
