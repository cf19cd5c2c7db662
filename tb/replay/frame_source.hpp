// What feeds the NIC's MAC: a trace (TraceFeeder) or the closed loop's network.
#pragma once
#include <cstdint>

#include "hw/common/packet.hpp"

namespace nic::tb {

// The next frame and the time its first bit reaches the NIC, or nullptr when there is none
// (yet: a source that gets more later wakes the MAC, hw::Mac::more()).
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual hw::PacketCtx* next_rx(uint64_t& ts_ps) = 0;
};

}  // namespace nic::tb
