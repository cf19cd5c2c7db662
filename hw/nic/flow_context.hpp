// Per-connection state of the offload engine, one per flow-table slot. Each block owns the
// part of it that its hardware would hold (tracker: parser, engine: CRC, DDP table:
// placement); they share one array indexed by the slot the flow lookup returned.
#pragma once
#include <cstdint>
#include <vector>

#include "hw/crc/crc_engine.hpp"
#include "hw/parser/pdu_tracker.hpp"
#include "hw/placement/ddp_table.hpp"

namespace nic::hw {

struct FlowContext {
  bool active = false;
  uint32_t handle = 0;  // the driver's name for the flow, echoed in completions
  PduTracker tracker;
  CrcEngine crc;
  DdpTable ddp;
};

using FlowContexts = std::vector<FlowContext>;

}  // namespace nic::hw
