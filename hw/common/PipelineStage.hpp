// A pipelined block between two beat channels: a fixed latency, one beat accepted per cycle
// (or fewer when a beat costs several cycles), and back-pressure from the output. Subclasses
// supply the block's function in accept(), called once per beat as it enters, and return how
// many cycles that beat occupies the input. A frame's last beat leaving stamps the frame with
// the end of the block's stage.
#pragma once
#include <systemc>

#include <cstdint>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/common/packet.hpp"

namespace nic::hw {

struct StageStats {
  uint64_t beats = 0, packets = 0;
  uint64_t busy_cycles = 0;   // a beat entered or an extra cycle of a costly beat was spent
  uint64_t stall_cycles = 0;  // a finished beat could not leave: output full
};

class PipelineStage : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  PipelineStage(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
                StreamChannel<Beat>& out, uint32_t latency, FrameStage stage);

  uint32_t latency() const { return latency_; }
  const StageStats& stats() const { return stats_; }

 protected:
  // The block's function for one beat entering the stage; returns its cost in cycles (>= 1).
  virtual uint32_t accept(Beat& b) = 0;
  // Whether the beat at the input's head may enter now (a block waiting for state it fetches
  // says no, and wakes the clock when the state arrives).
  virtual bool ready(const Beat&) { return true; }
  ClockDomain& clk_;

 private:
  void tick() override;

  StreamChannel<Beat>& in_;
  StreamChannel<Beat>& out_;
  const uint32_t latency_;
  const FrameStage stage_;
  struct Slot {
    Beat beat;
    uint64_t ready;  // first cycle the beat may leave
  };
  const uint32_t slots_;    // line_'s size
  std::vector<Slot> line_;  // ring of in-flight beats
  uint32_t head_ = 0, count_ = 0;
  uint32_t hold_ = 0;       // remaining extra cycles of a costly beat
  StageStats stats_;
};

}  // namespace nic::hw
