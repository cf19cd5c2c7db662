#include "host_driver/HostDriver.hpp"

#include "host_driver/iscsi/iscsi_session.hpp"
#include "host_driver/nvme_tcp/nvme_tcp_session.hpp"

#include <stdexcept>

namespace nic::host {

using namespace sc_core;

HostDriver::HostDriver(sc_module_name name, const DriverParams& cfg, uint32_t cq_entries,
                       uint32_t rx_ring_bytes, HostMemory& mem, InterruptController& intc,
                       const net::PortList& nvme_ports, const net::PortList& iscsi_ports,
                       bool keep_data, uint32_t tx_frame_bytes)
    : sc_module(name), mem_(mem),
      nic_("nic", mem, allocate_rings(cfg.seed, cq_entries, rx_ring_bytes, tx_frame_bytes), *this,
           &intc, cfg.irq_masked),
      host_(cfg, *this, ddp_,
            [nvme_ports, iscsi_ports](uint16_t port) -> std::unique_ptr<UlpSession> {
              if (nvme_ports.has(port)) return std::make_unique<NvmeTcpSession>();
              if (iscsi_ports.has(port)) return std::make_unique<IscsiSession>();
              return nullptr;
            },
            keep_data),
      ddp_(nic_, *this, host_, kSglBase) {
  wake_ |= nic_.irq_event();
  wake_ |= tx_ev_;
  SC_HAS_PROCESS(HostDriver);
  SC_THREAD(run);
}

NicRings HostDriver::allocate_rings(uint32_t seed, uint32_t cq_entries, uint32_t rx_ring_bytes,
                                    uint32_t tx_frame_bytes) {
  constexpr uint64_t kPage = 4096, kMiB = 1 << 20;
  uint64_t h = seed + 0x9E3779B97F4A7C15ull;  // splitmix64
  auto next = [&h] {
    uint64_t z = (h += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t at = 256 * kMiB + next() % 64 * 2 * kMiB;
  auto take = [&](uint64_t bytes) {
    const uint64_t base = at;
    at += (bytes + kPage - 1) / kPage * kPage + next() % 16 * kPage;
    return base;
  };
  NicRings r;
  r.cmd_entries = kCmdRingEntries;
  r.cmd_base = take(uint64_t(kCmdRingEntries) * abi::kCmdSize);
  r.cq_entries = cq_entries;
  r.cq_base = take(uint64_t(cq_entries) * abi::kCqeSize);
  r.rx_bytes = rx_ring_bytes;
  r.rx_base = take(rx_ring_bytes);
  if (tx_frame_bytes) {
    r.tx_entries = kTxRingEntries;
    r.tx_base = take(uint64_t(kTxRingEntries) * abi::kTxDescSize);
    r.tx_buf_bytes = uint32_t((tx_frame_bytes + kPage - 1) / kPage * kPage);
    r.tx_bufs = take(uint64_t(kTxRingEntries) * r.tx_buf_bytes);
    r.tx_head = take(4);
  }
  if (at > kSglBase) throw std::logic_error("driver rings overrun the SGL area");
  return r;
}

DriverCounters HostDriver::counters() const {
  DriverCounters c;
  static_cast<NicDriverCounters&>(c) = nic_.counters();
  static_cast<DdpCounters&>(c) = ddp_.counters();
  static_cast<HostCounters&>(c) = host_.counters();
  return c;
}

void HostDriver::transmit(ByteView frame) { queue(frame, false); }

void HostDriver::send(ByteView frame) { queue(frame, true); }

void HostDriver::queue(ByteView frame, bool send) {
  Bytes b = tx_spare_.take();
  b.assign(frame.begin(), frame.end());
  tx_q_.push_back({std::move(b), send});
  tx_ev_.notify(SC_ZERO_TIME);
}

void HostDriver::run() {
  ddp_.set_max_sg(nic_.probe());
  const sc_time clean(kTxCleanNs, SC_NS);
  for (;;) {
    if (nic_.tx_backlog())
      wait(clean, wake_);
    else
      wait(wake_);
    while (!tx_q_.empty()) {
      Outgoing o = std::move(tx_q_.front());
      tx_q_.pop_front();
      host_.xmit(o.frame);  // seen first: a read's DdpSetup is posted before its command leaves
      if (o.send) nic_.send(o.frame);
      tx_spare_.give(std::move(o.frame));  // its storage takes a later frame
    }
    nic_.service_irq();
    nic_.kick();
  }
}

}  // namespace nic::host
