// crc.impl=rtl: the CRC engines' register updates computed by the Verilated RTL pipeline
// (hw/crc/rtl/crc32c_pipe.sv, C++ flavour Vcrc32c_pipe_cpp). update() cuts the bytes into
// beats of kBytes and clocks each one through the pipe (running state in, kLatency edges, state
// out), so every register value an engine sees came out of the RTL. The RTL is stepped inside
// the NIC cycle that asks, in zero simulated time: the NIC's timing stays that of
// Crc32cPipeline (crc.latency_cycles), and config validation requires it to equal kLatency.
#pragma once
#include <systemc>

#include <cstdint>
#include <memory>

#include "hw/offload/crc_engine.hpp"

class VerilatedContext;
class Vcrc32c_pipe_cpp;

namespace nic::hw {

class Crc32cRtl : public sc_core::sc_module, public CrcDatapath {
 public:
  // The parameters the RTL was Verilated with (hw/crc/rtl/crc32c_pipe.cmake).
  static constexpr uint32_t kBytes = NICRTL_CRC_BYTES;
  static constexpr uint32_t kLatency = NICRTL_CRC_LATENCY;

  explicit Crc32cRtl(sc_core::sc_module_name name);
  ~Crc32cRtl() override;

  uint32_t update(uint32_t reg, const uint8_t* p, size_t n) override;
  uint64_t beats() const { return beats_; }  // beats clocked through the RTL

  // The RTL's ports and public registers, and the beat count; a VCD shows them as the last beat
  // of each time step left them.
  void trace(sc_core::sc_trace_file* tf) const override;

 private:
  void edge();

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vcrc32c_pipe_cpp> rtl_;
  uint64_t beats_ = 0;
};

}  // namespace nic::hw
