// crc.impl=rtl: the CRC engines' register updates also run through the Verilated RTL pipeline
// (hw/crc/rtl/crc32c_pipe.sv, C++ flavour Vcrc32c_pipe_cpp), stepped one clock edge per NIC
// core cycle alongside Crc32cPipeline.
//
// The engines compute their function when the CRC stage accepts a beat (the model's convention:
// function on entry, timing from the stage's delay line), so update() returns proto/crc32c's
// register at once and queues the same update as an RTL beat: the bytes in lanes 0..n-1, the
// register the engine held as the state. Updates of one register in one cycle (a PDU's data and
// its pad) share a beat. Beats enter the RTL one per cycle from the cycle the stage accepted
// them, the j-th of that cycle j cycles later: within the extra cycles the stage charges for
// each further PDU of a beat (crc.cycles_per_extra_segment), so every result comes out, kLatency
// cycles after its beat went in, by the time the stage delivers the beat. There each result
// must equal the register the engine computed; a difference stops the simulation with one line.
//
// A beat that would enter later than that (more registers updated than the stage charged
// cycles for) stops the simulation with one line: the model's timing and the RTL's must agree.
//
// The RTL's running state is driven as a flow context would: the register the engine held
// (what the context stores) when the beat reaches the last stage, except when the beat just
// ahead updated the same register, whose result the context does not have yet: then the port
// carries the stale value from before that update and the RTL must forward its own result. The
// tag marks that: it repeats when a beat continues the register of the beat entered the cycle
// before, and changes otherwise.
//
// Edges are taken at the start of each ticked cycle for the cycles before it (ticking before
// the stage, which attaches first), so a gated clock's skipped cycles, idle for the RTL, cost
// at most the edges that drain the pipe.
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/offload/crc_engine.hpp"

class VerilatedContext;
class Vcrc32c_pipe_cpp;

namespace nic::hw {

class Crc32cRtl : public sc_core::sc_module, public ClockDomain::Clocked, public CrcDatapath {
 public:
  // The parameters the RTL was Verilated with (hw/crc/rtl/crc32c_pipe.cmake).
  static constexpr uint32_t kBytes = NICRTL_CRC_BYTES;
  static constexpr uint32_t kLatency = NICRTL_CRC_LATENCY;

  // Attach it after the CRC stage, so that it ticks before it in each cycle.
  Crc32cRtl(sc_core::sc_module_name name, ClockDomain& clk);
  ~Crc32cRtl() override;

  uint32_t update(uint32_t reg, const uint8_t* p, size_t n) override;
  uint64_t beats() const { return beats_; }        // beats clocked into the RTL
  uint64_t checked() const { return checked_; }    // results compared with the engines'
  uint64_t forwarded() const { return forwarded_; }  // beats whose state the RTL forwarded
  // Beats that entered the RTL after the cycles the stage granted (see above).

  // The RTL's ports and public registers, and the beat count. A VCD time step shows the RTL
  // in that cycle, with the inputs of the edge that began it.
  void trace(sc_core::sc_trace_file* tf) const override;

 private:
  struct Beat {  // an update waiting for its cycle
    uint64_t issued;  // the cycle the stage made it in
    uint64_t due;     // the cycle it enters the RTL in
    uint32_t state, result;
    uint32_t n;
    uint8_t bytes[kBytes];
  };
  struct Stage {  // a beat in the RTL, by the cycle it entered
    bool valid = false;
    uint32_t port = 0;  // fold_state to drive in its last stage
    uint32_t result = 0;
    uint32_t tag = 0;
  };

  void tick() override;
  void edge(uint64_t cycle);  // the rising edge that ends `cycle`
  void clock();

  ClockDomain& clk_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vcrc32c_pipe_cpp> rtl_;
  std::deque<Beat> queue_;          // updates not yet in the RTL
  uint64_t issue_cycle_ = UINT64_MAX;  // the cycle of the last update, and beats queued in it
  uint32_t issued_now_ = 0;
  uint64_t due_next_ = 0;           // the cycle the next beat queued may enter
  std::vector<Stage> stages_;       // kLatency entries, the beat entered in cycle c at c % kLatency
  uint64_t next_edge_ = 0;          // the first cycle not yet ended by an edge
  uint64_t prev_cycle_ = 0;         // the last beat entered (if beats_): its cycle, state, result, tag
  uint32_t prev_state_ = 0, prev_result_ = 0, prev_tag_ = 0;
  uint32_t in_flight_ = 0;
  uint64_t beats_ = 0, checked_ = 0, forwarded_ = 0;
};

}  // namespace nic::hw
