// The host side of the offload running inside the simulation, split the way Linux splits it:
//   nic/NicDriver          the NIC's device driver (MMIO, command ring, completion ring and
//                          interrupt, receive ring), knowing no protocol above TCP;
//   ulp_ddp/UlpDdp         the protocol-neutral offload core (sk_add/sk_del, setup/teardown,
//                          resync, NIC slots, frames rebuilt from kept and placed bytes);
//   ulp_rx/StorageHost     the storage host (connections, TCP and PDU receive, software copy
//                          and CRC where the NIC did not, completing reads), running each
//                          connection's protocol through its session (nvme_tcp/, iscsi/).
// This module wires them together and runs them in one host thread: the host's own frames,
// then the interrupt's completion poll, then the doorbells for whatever they posted. The
// host's frames are seen by the driver (transmit) and, in a closed loop, also sent through the
// NIC's transmit ring (send).
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "host_driver/host_access.hpp"
#include "host_driver/nic/NicDriver.hpp"
#include "host_driver/ulp_rx/storage_host.hpp"
#include "host_driver/ulp_ddp/ulp_ddp.hpp"
#include "host_driver/driver_params.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/byte_pool.hpp"

namespace nic::host {

// Every part's counters, under the names the report uses.
struct DriverCounters : NicDriverCounters, DdpCounters, HostCounters {};

class HostDriver : public sc_core::sc_module, private NicDriverClient, private HostAccess {
 public:
  // `cq_entries`, `rx_ring_bytes`: the ring sizes the driver programs into the NIC
  // (placement.cq_entries, placement.rx_ring_bytes); `intc`: where it requests its interrupt;
  // `tx_frame_bytes`: the longest frame send() takes (tx.max_frame_bytes), 0 for a host that
  // sends nothing through the NIC (replay): no transmit ring is allocated or programmed.
  HostDriver(sc_core::sc_module_name name, const DriverParams& cfg, uint32_t cq_entries,
             uint32_t rx_ring_bytes, HostMemory& mem, InterruptController& intc,
             const net::PortList& nvme_ports, const net::PortList& iscsi_ports,
             bool keep_data, uint32_t tx_frame_bytes = 0);

  // Bind to PcieLink::mmio_target.
  tlm_utils::simple_initiator_socket<NicDriver>& mmio_port() { return nic_.mmio_port; }

  // A frame the host transmits now (host->controller direction of the trace): the driver sees
  // it (connections, reads, buffers to register) and nothing is sent (replay).
  void transmit(ByteView frame);
  // The same, and the frame goes out through the NIC's transmit ring (a closed loop). Needs
  // tx_frame_bytes > 0.
  void send(ByteView frame);
  size_t tx_backlog() const { return nic_.tx_backlog(); }
  // Where the driver put its rings (allocate_rings), as it programmed them into the NIC.
  const NicRings& rings() const { return nic_.rings(); }
  uint8_t irq_vector() const { return nic_.irq_vector(); }
  uint32_t cq_consumed() const { return nic_.cq_consumed(); }
  void set_registration_hook(UlpDdp::RegistrationHook h) { ddp_.set_registration_hook(std::move(h)); }
  void set_completion_hook(StorageHost::CompletionHook h) { host_.set_completion_hook(std::move(h)); }
  // For a TCP transmit side outside the driver (the closed loop): StorageHost's hooks.
  void set_segment_hook(StorageHost::SegmentHook h) { host_.set_segment_hook(std::move(h)); }
  void set_ready_hook(StorageHost::ReadyHook h) { host_.set_ready_hook(std::move(h)); }
  bool rx_view(const net::FiveTuple& h2c, size_t max, uint32_t& rcv_nxt,
               std::vector<std::pair<uint32_t, uint32_t>>& sack) const {
    return host_.rx_view(h2c, max, rcv_nxt, sack);
  }
  // Where the frame of the completion entry in ring slot `slot` was on its way (the reads'
  // latency breakdown): the testbench reads it beside the NIC's ring, as a driver reads the
  // hardware timestamp of an entry. Unset, reads have no breakdown.
  using RxClock = std::function<RxTimes(uint32_t slot)>;
  void set_rx_clock(RxClock f) { rx_clock_ = std::move(f); }

  DriverCounters counters() const;
  size_t outstanding() const { return host_.outstanding(); }
  RxStats sw_stats() const { return host_.sw_stats(); }
  std::vector<ConnFigures> conn_figures() const { return host_.conn_figures(); }
  std::vector<std::string> failed_connections() const { return host_.failed_connections(); }

  // The rings in host memory (dma_alloc_coherent): page-aligned, one after another from a base
  // in [256 MiB, 384 MiB) that depends on `seed`, with a few pages between them that depend on
  // it too, as an allocator's results depend on what ran before; all below kSglBase (the
  // largest rings, 512 MiB and 1 GiB, fit). The transmit ring (with `tx_frame_bytes` > 0), its
  // slots' frame buffers (whole pages each) and its head write-back word come after the others,
  // which it leaves where they were. The NIC and the testbench learn them from the driver
  // (registers, rings()).
  static NicRings allocate_rings(uint32_t seed, uint32_t cq_entries, uint32_t rx_ring_bytes,
                                 uint32_t tx_frame_bytes = 0);
  static constexpr uint32_t kCmdRingEntries = 1024;
  static constexpr uint32_t kTxRingEntries = 256;
  // While frames wait for a transmit descriptor the host thread also wakes this often to read
  // the head write-back: the NIC signals no transmit completion, and with no receive traffic
  // nothing else would wake it (a Tx watchdog; a driver might take a Tx completion vector).
  static constexpr double kTxCleanNs = 1000;
  // The SGL area (65536 slots of the longest SGL), from 2 GiB; read buffers are above 4 GiB.
  static constexpr uint64_t kSglBase = 0x80000000;

 private:
  void run();

  // NicDriverClient
  void rx(const abi::Cqe& c, uint32_t slot, ByteView kept) override {
    host_.rx(c, ddp_.rebuild(c, kept), rx_clock_ ? rx_clock_(slot) : RxTimes{});
  }
  void cmd_done(const abi::Cqe& c) override { ddp_.cmd_done(c); }
  void teardown_done(const abi::Cqe& c) override { ddp_.teardown_done(c); }

  // HostAccess
  void read(uint64_t addr, uint8_t* out, size_t n) const override { mem_.read(addr, out, n); }
  void write(uint64_t addr, const uint8_t* p, size_t n) override { mem_.write(addr, p, n); }
  void release(uint64_t addr, size_t n) override { mem_.release(addr, n); }
  uint64_t now_ps() const override { return sc_core::sc_time_stamp().value(); }

  HostMemory& mem_;
  NicDriver nic_;
  StorageHost host_;  // before ddp_, which takes it as its UlpOps
  UlpDdp ddp_;
  sc_core::sc_event tx_ev_;
  // The interrupt | tx_ev_, built once: per wait it would allocate.
  sc_core::sc_event_or_list wake_;
  struct Outgoing {
    Bytes frame;
    bool send;  // through the NIC's transmit ring too
  };
  std::deque<Outgoing> tx_q_;  // the host's frames, to be looked at
  BytePool tx_spare_;          // buffers of frames looked at, for reuse
  void queue(ByteView frame, bool send);
  RxClock rx_clock_;
};

}  // namespace nic::host
