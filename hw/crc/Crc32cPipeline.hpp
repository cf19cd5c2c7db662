// CRC32C pipeline: runs each offloaded frame's data bytes through the flow's CrcEngine as the
// beats pass (per-flow running digest across packets, digests split across packets), and the
// payload of retransmitted frames too, which may fill a hole of a PDU still open; sets the
// frame's crc-ok verdict on its last beat.
// Latency: crc.latency_cycles. Throughput: one beat (datapath_bytes) per cycle, plus
// crc.cycles_per_extra_segment for each PDU beyond the first whose data or data digest the
// beat holds (one PDU's running CRC is loaded and stored per cycle), and crc.combine_cycles for
// each pair of a PDU's pieces joined across a filled hole (the left CRC shifted past the right).
// A retransmitted beat pays the same per further PDU whose running register it updates (the
// end of one PDU's piece and the start of the next: two registers, two RTL cycles).
#pragma once
#include "hw/common/PipelineStage.hpp"
#include "hw/offload/flow_context.hpp"

namespace nic::hw {

class Crc32cPipeline : public PipelineStage {
 public:
  Crc32cPipeline(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
                 StreamChannel<Beat>& out, FlowContexts& flows, uint32_t latency,
                 uint32_t cycles_per_extra_segment, uint32_t combine_cycles);
  uint64_t frames_crc_ok() const { return crc_ok_; }
  uint64_t extra_segment_cycles() const { return extra_cycles_; }
  uint64_t combine_cycles() const { return combine_cycles_; }

 protected:
  uint32_t accept(Beat& b) override;

 private:
  FlowContexts& flows_;
  const uint32_t extra_, combine_;
  size_t cursor_ = 0;
  uint32_t combines_charged_ = 0;  // of the current frame's
  uint64_t crc_ok_ = 0, extra_cycles_ = 0, combine_cycles_ = 0;
};

}  // namespace nic::hw
