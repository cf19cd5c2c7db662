// The NIC's device driver (what mlx5e is to a ConnectX): MMIO register accesses over the PCIe
// link, the command ring (with a backlog while it is full, one doorbell per batch), the
// completion ring (owner bit per wrap) and its MSI-X interrupt (NAPI: the handler polls, then
// re-arms the vector), the receive ring the NIC writes the bytes it did not place to, and the
// transmit ring (a buffer per slot the frame is copied into, a backlog while every descriptor
// is in use, descriptors freed as the NIC's head write-back says, one doorbell per batch). The
// device moderates the interrupt (hw/irq/MsixController); the driver only programs the table. It knows nothing of NVMe nor of
// the offload's state: commands are opaque to it, and every completion goes to its client.
//
// No process of its own: its methods run in the caller's thread (an MMIO read waits for its
// completion), so one host thread orders everything the driver stack does.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "host_driver/nic/nic_interfaces.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "hw/pcie/InterruptController.hpp"

namespace nic::host {

// Where the rings live in host memory, and their sizes.
struct NicRings {
  uint64_t cmd_base = 0;
  uint32_t cmd_entries = 0;
  uint64_t cq_base = 0;
  uint32_t cq_entries = 0;
  uint64_t rx_base = 0;
  uint32_t rx_bytes = 0;
  // The transmit queue (tx_entries 0: none): its descriptor ring, a frame buffer per slot
  // (slot i's at tx_bufs + i * tx_buf_bytes) and the word the NIC writes its consumer index to.
  uint64_t tx_base = 0;
  uint32_t tx_entries = 0;
  uint64_t tx_bufs = 0;
  uint32_t tx_buf_bytes = 0;
  uint64_t tx_head = 0;
};

struct NicDriverCounters {
  uint64_t irqs = 0, cqes = 0;  // interrupts taken (handler runs that polled), entries handled
  uint64_t msis = 0;            // MSI-X messages that reached the driver's handler
  uint64_t irq_empty_polls = 0;  // interrupts whose poll found no new entry
  uint64_t rx_frames = 0;  // every RxPacket completion
  uint64_t tx_posted = 0;      // frames written to the transmit ring
  uint64_t tx_backlogged = 0;  // ... of which waited in the backlog for a free descriptor
  uint64_t tx_doorbells = 0;
  uint64_t tx_too_long = 0;    // frames longer than a slot's buffer or the NIC's limit: dropped
};

class NicDriver : public sc_core::sc_module, public CommandQueue {
 public:
  tlm_utils::simple_initiator_socket<NicDriver> mmio_port;  // bind to PcieLink::mmio_target

  // `intc`: where the driver requests its interrupt vector; without one the driver takes no
  // interrupts (a caller that polls). `irq_masked`: leave the vector masked (tests: nothing
  // wakes the driver then).
  NicDriver(sc_core::sc_module_name name, HostMemory& mem, const NicRings& rings,
            NicDriverClient& client, InterruptController* intc = nullptr, bool irq_masked = false);

  // Reads the NIC's limits, gives it the rings (the transmit ring when there is one) and, with
  // an interrupt controller, programs the completion ring's MSI-X vector and arms it; returns
  // the SG entries the NIC accepts per registered buffer.
  uint32_t probe();
  const NicRings& rings() const { return rings_; }
  uint8_t irq_vector() const { return vector_; }  // the host vector its messages carry

  uint64_t post(const abi::Cmd& c) override;
  // Writes what the command and transmit rings have room for and rings each one's doorbell if
  // anything new is in it (commands first).
  void kick();

  // Transmits a frame (without FCS): copies it into the next slot's buffer and writes its
  // descriptor, or keeps it in the backlog while every descriptor is in use; the doorbell goes
  // at kick(). Descriptors come back as the NIC's head write-back (in host memory) says,
  // which the driver reads whenever it finds the ring full.
  void send(ByteView frame);
  size_t tx_backlog() const { return tx_backlog_.size(); }  // frames waiting for a descriptor

  const sc_core::sc_event& irq_event() const { return irq_ev_; }
  // The interrupt handler (NAPI): if a message arrived, polls the completion ring, then
  // re-arms the vector with its consumer index (the device signals again for entries past it).
  void service_irq();
  // Hands every new completion to the client, then returns the consumed completion-ring
  // entries and receive-ring bytes to the NIC. Returns how many it handled.
  uint32_t poll();

  const NicDriverCounters& counters() const { return ctr_; }
  uint32_t cq_consumed() const { return cq_consumed_; }  // completion entries taken (free-running)

 private:
  struct Queued {
    abi::Cmd cmd;
    uint32_t entries;
  };

  void flush_backlog();
  void flush_tx();
  bool tx_room();  // a free descriptor, after reading the head write-back if needed
  void post_tx(ByteView frame);
  void on_rx(const abi::Cqe& c, uint32_t slot);
  void on_cmd_done(const abi::Cqe& c);
  bool mmio(tlm::tlm_command cmd, uint64_t off, uint8_t* buf);
  void mmio_write32(uint64_t off, uint32_t v);
  uint32_t mmio_read32(uint64_t off);
  void msi();  // the interrupt controller's call: a message for our vector arrived

  HostMemory& mem_;
  const NicRings rings_;
  NicDriverClient& client_;
  InterruptController* intc_;
  const bool irq_masked_;
  uint8_t vector_ = 0;
  sc_core::sc_event irq_ev_;
  bool irq_pending_ = false;
  tlm::tlm_generic_payload mmio_gp_;  // built once: per access it would allocate
  Bytes kept_;  // a received frame's kept bytes, its storage kept for the next frame

  // Command ring: entries posted (free-running), entries the NIC has not completed, and the
  // ring entries each outstanding tag holds.
  uint32_t cmd_posted_ = 0, cmd_entries_busy_ = 0;
  uint64_t next_tag_ = 1;
  std::unordered_map<uint64_t, uint32_t> entries_of_tag_;
  std::deque<Queued> backlog_;  // waiting for command-ring space
  bool doorbell_due_ = false;
  // Completion ring and receive ring consumption.
  uint32_t cq_consumed_ = 0;
  uint32_t rx_freed_ = 0;
  // Transmit ring: descriptors posted and consumed by the NIC as last read from its head
  // write-back (free-running), frames waiting for a descriptor.
  uint32_t tx_posted_ = 0, tx_done_ = 0;
  uint32_t tx_max_frame_ = 0;  // the shorter of a slot's buffer and the NIC's limit
  std::deque<Bytes> tx_backlog_;
  bool tx_doorbell_due_ = false;
  NicDriverCounters ctr_;
};

}  // namespace nic::host
