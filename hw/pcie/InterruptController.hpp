// The host's interrupt controller, as far as message-signalled interrupts go (an x86 local
// APIC): a message is a 4-byte write into abi::kMsiAddrBase's window (destination APIC id in
// address bits 19..12) with the vector in the data's low byte. A driver asks for a vector
// (allocate_vector, request_irq, as Linux's request_irq on an MSI-X vector) and its handler
// runs when a message for it arrives, in the PCIe link's process: it must not wait(), only
// wake the driver's thread. Host-side, beside HostMemory; the HostBridge routes the window here.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <functional>

namespace nic {

class InterruptController : public sc_core::sc_module {
 public:
  struct Stats {
    uint64_t messages = 0;   // well-formed messages, handled or not
    uint64_t unhandled = 0;  // for a vector nobody requested
    uint64_t malformed = 0;  // not a 4-byte write
  };
  using Handler = std::function<void()>;
  // Sees every well-formed message before its handler runs (measurement, checks).
  using Observer = std::function<void(uint8_t vector, const tlm::tlm_generic_payload& gp)>;

  tlm_utils::simple_target_socket<InterruptController> socket;

  explicit InterruptController(sc_core::sc_module_name name);

  // A vector no one holds yet (device vectors start at 0x30, as Linux's do); 0 when all are taken.
  uint8_t allocate_vector();
  void request_irq(uint8_t vector, Handler h) { handlers_[vector] = std::move(h); }
  void set_observer(Observer o) { observer_ = std::move(o); }

  const Stats& stats() const { return stats_; }
  uint64_t count(uint8_t vector) const { return per_vector_[vector]; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  std::array<Handler, 256> handlers_{};
  std::array<uint64_t, 256> per_vector_{};
  uint32_t next_vector_ = 0x30;
  Observer observer_;
  Stats stats_;
};

// The root complex between the PCIe link and the host: a device's write into the MSI window
// is an interrupt, not a memory access, and goes to the interrupt controller; everything else
// (and debug accesses) goes to host memory. Bind PcieLink::mem_init to `target`.
class HostBridge : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<HostBridge> target;
  tlm_utils::simple_initiator_socket<HostBridge> mem;  // to HostMemory::socket
  tlm_utils::simple_initiator_socket<HostBridge> irq;  // to InterruptController::socket

  explicit HostBridge(sc_core::sc_module_name name);

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp) { return mem->transport_dbg(gp); }
};

}  // namespace nic
